"""The Vertex emulator holds requests to Google's contract, and the command that runs it."""

from __future__ import annotations

import base64
import signal
import subprocess
import sys
import textwrap

import pytest
import requests

from django_tryon.testing.emulators import VertexEmulator
from tests.fixtures import make_image

PREDICT = "/v1/projects/tryon-test/locations/us-central1/publishers/google/models/virtual-try-on-001:predict"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def body(**parameters):
    return {
        "instances": [
            {
                "personImage": {"image": {"bytesBase64Encoded": b64(make_image((64, 80), "JPEG"))}},
                "productImages": [
                    {
                        "image": {
                            "bytesBase64Encoded": b64(make_image((40, 40), "PNG", person=False))
                        }
                    }
                ],
            }
        ],
        "parameters": {"sampleCount": 1, **parameters},
    }


@pytest.fixture
def emulator():
    with VertexEmulator() as running:
        yield running


def post(emulator, payload, token="vertex-test-token"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(emulator.url(PREDICT), json=payload, headers=headers, timeout=10)


def test_a_valid_request_gets_one_picture_per_sample(emulator):
    response = post(emulator, body(sampleCount=3, personGeneration="allow_adult"))
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    assert len(predictions) == 3
    assert base64.b64decode(predictions[0]["bytesBase64Encoded"])[:4] == b"\x89PNG"
    assert emulator.violations == [] and emulator.create_calls == 1


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda b: b["parameters"].update(sampleCount=5), "sampleCount"),
        (lambda b: b["parameters"].update(safetySetting="lenient"), "safetySetting"),
        (lambda b: b["parameters"].update(personGeneration="kids"), "personGeneration"),
        (lambda b: b["parameters"].update(seed=1), "addWatermark"),
        (lambda b: b["parameters"].update(colour="red"), "unknown parameters"),
        (lambda b: b["parameters"].update(outputOptions={"mimeType": "image/gif"}), "mimeType"),
        (lambda b: b["instances"][0]["productImages"].append(
            b["instances"][0]["productImages"][0]), "takes 1"),
        (lambda b: b["instances"][0]["productImages"].clear(), "non-empty"),
        (lambda b: b["instances"][0]["personImage"]["image"].update(
            bytesBase64Encoded=b64(b"<html></html>")), "not a JPEG or PNG"),
        (lambda b: b["instances"][0]["personImage"]["image"].update(
            gcsUri="gs://b/p.jpg"), "exactly one"),
        (lambda b: b["instances"].append({}), "exactly one instance"),
    ],
)  # fmt: skip
def test_requests_google_refuses_are_400_and_violations(emulator, change, words):
    payload = body()
    change(payload)
    response = post(emulator, payload)
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert words in response.json()["error"]["message"]
    assert len(emulator.violations) == 1 and words in emulator.violations[0]


def test_enum_values_are_read_in_either_case(emulator):
    assert post(emulator, body(safetySetting="BLOCK_NONE", personGeneration="ALLOW_ALL")).ok
    assert emulator.violations == []


def test_a_wrong_token_is_401_unauthenticated_and_no_token_a_violation(emulator):
    response = post(emulator, body(), token="stolen")
    assert (response.status_code, response.json()["error"]["status"]) == (401, "UNAUTHENTICATED")
    assert emulator.violations == []
    assert post(emulator, body(), token="").status_code == 401
    assert emulator.violations == [f"POST {PREDICT}: no Authorization: Bearer header"]


def test_quota_faults_read_like_googles(emulator):
    emulator.inject("http_error", route="create", status=429)
    error = post(emulator, body()).json()["error"]
    assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")
    assert "Quota exceeded" in error["message"]


def test_the_token_endpoint_issues_tokens_the_api_takes(emulator):
    response = requests.post(
        emulator.token_uri,
        data={"grant_type": "refresh_token", "refresh_token": "r", "client_id": "c"},
        timeout=10,
    )
    token = response.json()["access_token"]
    assert response.json()["token_type"] == "Bearer"
    assert post(emulator, body(), token=token).ok


def test_a_jwt_for_another_scope_is_refused(emulator):
    claims = base64.urlsafe_b64encode(b'{"iss":"a","aud":"x","scope":"email","exp":1}').decode()
    response = requests.post(
        emulator.token_uri,
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
              "assertion": f"e30.{claims}.sig"},
        timeout=10,
    )  # fmt: skip
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert len(emulator.violations) == 1
    emulator.violations.clear()


def test_the_model_endpoint_knows_the_try_on_models(emulator):
    headers = {"Authorization": "Bearer vertex-test-token"}
    url = emulator.url("/v1/publishers/google/models/")
    assert requests.get(url + "virtual-try-on-001", headers=headers, timeout=10).ok
    assert requests.get(url + "imagen-9", headers=headers, timeout=10).status_code == 404


def test_download_faults_are_not_offered_where_there_is_no_download(emulator):
    with pytest.raises(ValueError):
        emulator.inject("not_image")
    emulator.inject("payload_not_image")
    image = base64.b64decode(post(emulator, body()).json()["predictions"][0]["bytesBase64Encoded"])
    assert image.startswith(b"<html>")


def test_tryon_emulator_command_prints_the_example_shops_variables():
    script = textwrap.dedent(
        """
        import django
        from django.conf import settings
        settings.configure()
        django.setup()
        from django_tryon.management.commands.tryon_emulator import Command
        argv = ["manage.py", "tryon_emulator", "vertex", "--port", "0", "--latency", "0",
                "--project", "shop-7"]
        Command().run_from_argv(argv)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        lines = [process.stdout.readline().strip() for _ in range(8)]
        base_url = lines[0].split()[-1]
        assert f"export VERTEX_BASE_URL={base_url}" in lines
        assert "export VERTEX_PROJECT=shop-7" in lines
        assert "export VERTEX_ACCESS_TOKEN=vertex-test-token" in lines
        assert "export TRYON_PROVIDER=vertex" in lines
        url = base_url + PREDICT.replace("tryon-test", "shop-7")
        headers = {"Authorization": "Bearer vertex-test-token"}
        assert requests.post(url, json=body(), headers=headers, timeout=10).ok
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0
    assert ":predict -> 200" in output and output.rstrip().endswith("Stopped.")
