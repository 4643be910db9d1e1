"""The FASHN emulator over plain HTTP: what it refuses as the real API would, its limits,
its callbacks. (The official SDK's flow against it is in ``tests/sdk/test_fashn_sdk.py``.)"""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from django_tryon.testing.emulators import FashnEmulator
from tests.fixtures import make_image

pytest_plugins = ["django_tryon.testing.fixtures"]

PNG = "data:image/png;base64," + base64.b64encode(make_image((64, 64), "PNG")).decode()


@pytest.fixture
def api(fashn_emulator: FashnEmulator) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {fashn_emulator.api_key}"
    return session


def run(api, emulator, inputs=None, **body):
    payload = {"model_name": "tryon-v1.6", "inputs": {"model_image": PNG, "garment_image": PNG,
                                                      **(inputs or {})}, **body}  # fmt: skip
    return api.post(emulator.url("/v1/run"), json=payload)


@pytest.mark.parametrize(
    ("inputs", "body", "expected"),
    [
        ({"category": "dresses"}, {}, "inputs.category: 'dresses' is not one of"),
        ({"nsfw_filter": True}, {}, "Additional properties are not allowed ('nsfw_filter'"),
        ({"num_samples": 5}, {}, "inputs.num_samples: 5 is greater than the maximum of 4"),
        ({"model_image": "model.jpg"}, {}, "inputs.model_image: neither an http(s) URL"),
        ({"garment_image": "data:image/png;base64,bm90IGFuIGltYWdl"}, {}, "not a readable image"),
        ({"garment_image": "data:text/plain;base64,aGk="}, {}, "data:image/<format>;base64"),
        ({}, {"model_name": "tryon-v1.5"}, "model_name: 'tryon-v1.5' is not one of"),
    ],
)
def test_requests_the_sdk_types_forbid_are_400_bad_request_and_violations(
    fashn_emulator, api, inputs, body, expected
):
    response = run(api, fashn_emulator, inputs, **body)
    assert response.status_code == 400
    assert response.json()["error"] == "BadRequest" and expected in response.json()["message"]
    assert len(fashn_emulator.violations) == 1 and expected in fashn_emulator.violations[0]
    fashn_emulator.violations.clear()
    assert fashn_emulator.predictions == {}


def test_urls_and_saved_models_are_accepted_never_fetched(fashn_emulator, api):
    response = run(
        api,
        fashn_emulator,
        {"model_image": "saved:studio-anna", "garment_image": "https://cdn.shop.test/g.jpg"},
    )
    assert response.status_code == 200 and response.json()["error"] is None
    assert fashn_emulator.violations == []


def test_a_missing_key_is_a_violation_a_wrong_one_is_not(fashn_emulator):
    answer = requests.get(fashn_emulator.url("/v1/credits"), timeout=5)
    assert answer.status_code == 401 and answer.json()["error"] == "UnauthorizedAccess"
    assert len(fashn_emulator.violations) == 1
    fashn_emulator.violations.clear()
    wrong = requests.get(
        fashn_emulator.url("/v1/credits"), headers={"Authorization": "Bearer x"}, timeout=5
    )
    assert wrong.status_code == 401 and fashn_emulator.violations == []


def test_statuses_move_with_latency_and_successes_spend_credits(fashn_emulator, api):
    fashn_emulator.latency = 3600
    prediction = run(api, fashn_emulator).json()["id"]
    status = api.get(fashn_emulator.url(f"/v1/status/{prediction}"))
    assert status.json() == {"id": prediction, "status": "starting", "output": None, "error": None}
    assert "x-fashn-credits-used" not in status.headers
    fashn_emulator.set_status(prediction, "failed", error="PoseError")
    failed = api.get(fashn_emulator.url(f"/v1/status/{prediction}"))
    assert failed.json()["error"]["name"] == "PoseError"
    assert failed.headers["x-fashn-credits-used"] == "0" and fashn_emulator.balance == 1000


class Refusing(BaseHTTPRequestHandler):
    """A shop endpoint that answers 500 twice, then 200."""

    calls: list[bytes] = []

    def do_POST(self) -> None:
        Refusing.calls.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(500 if len(Refusing.calls) <= 2 else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_callbacks_are_retried_until_a_2xx(fashn_emulator, api):
    Refusing.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        hook = f"http://127.0.0.1:{server.server_address[1]}/hook"
        prediction = api.post(
            fashn_emulator.url("/v1/run"),
            params={"webhook_url": hook},
            json={"model_name": "tryon-v1.6", "inputs": {"model_image": PNG, "garment_image": PNG}},
        ).json()["id"]
        deadline = time.monotonic() + 10
        while len(fashn_emulator.callbacks_sent) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [c.status_code for c in fashn_emulator.callbacks_sent] == [500, 500, 200]
        assert {json.loads(body)["id"] for body in Refusing.calls} == {prediction}
    finally:
        server.shutdown()
