"""The Magic Hour emulator, driven with plain ``requests``: no Django, no database."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from PIL import Image

from django_tryon.testing import MagicHourEmulator

pytest_plugins = ["django_tryon.testing.fixtures"]

SPEC = MagicHourEmulator.spec
UPLOAD_URLS = "/v1/files/upload-urls"
CREATE = "/v1/ai-clothes-changer"
PROJECT = "/v1/image-projects/{id}"


def image_bytes(fmt: str = "PNG", color: tuple[int, int, int] = (30, 90, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (48, 64), color).save(out, fmt)
    return out.getvalue()


def assert_matches_spec(response: requests.Response, template: str, method: str) -> dict:
    """The JSON body is what the spec documents for this operation and status."""
    body = response.json()
    validator = SPEC.response_validator(template, method, response.status_code)
    assert [error.message for error in validator.iter_errors(body)] == []
    return body


@pytest.fixture
def emulator(magichour_emulator: MagicHourEmulator) -> MagicHourEmulator:
    return magichour_emulator


@pytest.fixture
def api(emulator: MagicHourEmulator) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {emulator.api_key}"
        yield session


def upload(
    api: requests.Session, emulator: MagicHourEmulator, data: bytes, extension: str = "png"
) -> str:
    response = api.post(
        emulator.url(UPLOAD_URLS), json={"items": [{"type": "image", "extension": extension}]}
    )
    item = assert_matches_spec(response, UPLOAD_URLS, "post")["items"][0]
    assert requests.put(item["upload_url"], data=data, timeout=5).status_code == 200
    return item["file_path"]


def create(api: requests.Session, emulator: MagicHourEmulator, **assets: str) -> str:
    assets.setdefault("person_file_path", upload(api, emulator, image_bytes()))
    assets.setdefault("garment_file_path", upload(api, emulator, image_bytes(color=(200, 20, 20))))
    assets.setdefault("garment_type", "upper_body")
    response = api.post(emulator.url(CREATE), json={"assets": assets, "name": "test"})
    return assert_matches_spec(response, CREATE, "post")["id"]


def poll(api: requests.Session, emulator: MagicHourEmulator, project_id: str) -> dict:
    response = api.get(emulator.url(f"/v1/image-projects/{project_id}"))
    assert response.status_code == 200
    return assert_matches_spec(response, PROJECT, "get")


# -- the happy path ------------------------------------------------------------------


def test_workflow_upload_create_poll_download_delete(emulator, api):
    emulator.latency = 0.6
    response = api.post(
        emulator.url(UPLOAD_URLS),
        json={
            "items": [{"type": "image", "extension": "png"}, {"type": "image", "extension": "jpg"}]
        },
    )
    items = assert_matches_spec(response, UPLOAD_URLS, "post")["items"]
    assert [item["file_path"].rsplit("/", 1)[1] for item in items] == ["0.png", "1.jpg"]
    assert all(
        re.fullmatch(r"api-assets/c[a-z0-9]{24}/\d\.\w+", item["file_path"]) for item in items
    )
    for item, fmt in zip(items, ["PNG", "JPEG"], strict=True):
        assert requests.put(item["upload_url"], data=image_bytes(fmt), timeout=5).status_code == 200

    response = api.post(
        emulator.url(CREATE),
        json={
            "name": "Look 1",
            "assets": {
                "person_file_path": items[0]["file_path"],
                "garment_file_path": items[1]["file_path"],
                "garment_type": "entire_outfit",
            },
        },
    )
    created = assert_matches_spec(response, CREATE, "post")
    assert created["credits_charged"] == created["frame_cost"] == 25
    assert emulator.create_calls == 1

    seen = []
    deadline = time.monotonic() + 5
    while not seen or seen[-1]["status"] != "complete":
        assert time.monotonic() < deadline
        seen.append(poll(api, emulator, created["id"]))
        time.sleep(0.05)
    statuses = [project["status"] for project in seen]
    assert statuses[0] == "queued" and "rendering" in statuses
    assert all(project["downloads"] == [] for project in seen[:-1])
    done = seen[-1]
    assert (done["id"], done["name"], done["type"], done["image_count"]) == (
        created["id"],
        "Look 1",
        "CLOTHES_CHANGER",
        1,
    )
    assert done["credits_charged"] == 25 and done["error"] is None and done["enabled"] is True

    download = requests.get(done["downloads"][0]["url"], timeout=5)
    assert download.status_code == 200 and download.headers["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(download.content)).format == "PNG"

    assert api.delete(emulator.url(f"/v1/image-projects/{created['id']}")).status_code == 204
    deleted = poll(api, emulator, created["id"])
    assert deleted["enabled"] is False and deleted["downloads"] == []
    assert requests.get(done["downloads"][0]["url"], timeout=5).status_code == 404
    assert emulator.violations == []


def test_request_log(emulator, api):
    api.post(emulator.url(UPLOAD_URLS), json={"items": [{"type": "image", "extension": "webp"}]})
    record = emulator.requests[-1]
    assert (record.method, record.path, record.route) == ("POST", UPLOAD_URLS, "upload_urls")
    assert record.headers["Authorization"] == "Bearer mh-test-key"
    assert record.json() == {"items": [{"type": "image", "extension": "webp"}]}


def test_public_https_urls_are_accepted_as_assets(emulator, api):
    project_id = create(
        api,
        emulator,
        person_file_path="https://example.com/people/model.jpg",
        garment_file_path="https://example.com/garments/shirt.png",
    )
    assert poll(api, emulator, project_id)["status"] == "complete"
    assert emulator.violations == []


def test_chunked_upload_body_is_stored(emulator, api):
    data = image_bytes()
    response = api.post(
        emulator.url(UPLOAD_URLS), json={"items": [{"type": "image", "extension": "png"}]}
    )
    item = response.json()["items"][0]
    chunks = (data[i : i + 100] for i in range(0, len(data), 100))  # a generator: chunked encoding
    assert requests.put(item["upload_url"], data=chunks, timeout=5).status_code == 200
    assert emulator.uploads[item["file_path"]].data == data


# -- authentication --------------------------------------------------------------------


def test_wrong_key_is_refused_with_the_spec_body(emulator):
    response = requests.post(
        emulator.url(CREATE),
        json={"assets": {}},
        headers={"Authorization": "Bearer nope"},
        timeout=5,
    )
    assert response.status_code == 401
    assert assert_matches_spec(response, CREATE, "post") == {"message": "Unauthorized"}
    assert emulator.violations == []  # a bad key is the caller's configuration, not a bug


def test_missing_authorization_is_a_violation(emulator):
    response = requests.get(emulator.url("/v1/image-projects/whatever"), timeout=5)
    assert response.status_code == 401
    assert len(emulator.violations) == 1
    emulator.violations.clear()


def test_credential_check_with_an_unknown_project(emulator, api):
    response = api.get(emulator.url("/v1/image-projects/tryon-credential-check"))
    assert response.status_code == 404
    assert assert_matches_spec(response, PROJECT, "get") == {"message": "Not Found"}
    response = requests.get(
        emulator.url("/v1/image-projects/tryon-credential-check"),
        headers={"Authorization": "Bearer bad"},
        timeout=5,
    )
    assert response.status_code == 401
    assert emulator.violations == []


# -- validation against the spec ---------------------------------------------------------


@pytest.mark.parametrize(
    ("assets", "expected"),
    [
        (None, "body: 'assets' is a required property"),
        ({"garment_file_path": None}, "'garment_file_path' is a required property"),
        ({"person_file_path": "", "garment_file_path": "https://e.com/b.png"}, "person_file_path"),
        ({"garment_type": "shirt"}, "garment_type: 'shirt' is not one of"),
        ({"person_file_path": "http://example.com/a.jpg"}, "URLs must use https"),
        ({"person_file_path": "https://example.com/photo"}, "must end in an image file extension"),
        (
            {"garment_file_path": "api-assets/unknown/0.png"},
            "neither an https URL nor an issued file_path",
        ),
        ({"garment_file_path": "NOT-UPLOADED"}, "nothing was uploaded"),
    ],
)
def test_invalid_create_requests_are_422_and_violations(emulator, api, assets, expected):
    if assets is None:
        body: dict = {"name": "no assets"}
    else:
        merged = {
            "person_file_path": upload(api, emulator, image_bytes()),
            "garment_file_path": upload(api, emulator, image_bytes()),
            "garment_type": "upper_body",
            **assets,
        }
        body = {"assets": {key: value for key, value in merged.items() if value is not None}}
        if merged["garment_file_path"] == "NOT-UPLOADED":
            issued = api.post(
                emulator.url(UPLOAD_URLS), json={"items": [{"type": "image", "extension": "png"}]}
            )
            body["assets"]["garment_file_path"] = issued.json()["items"][0]["file_path"]
    response = api.post(emulator.url(CREATE), json=body)
    assert response.status_code == 422
    assert expected in assert_matches_spec(response, CREATE, "post")["message"]
    assert len(emulator.violations) == 1 and expected in emulator.violations[0]
    assert emulator.projects == {}
    emulator.violations.clear()


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], "[] should be non-empty"),
        ([{"type": "document", "extension": "pdf"}], "'document' is not one of"),
        ([{"type": "image", "extension": ".png"}], "does not match"),
        ([{"type": "image", "extension": "gif"}], "'gif' is an invalid image extension"),
    ],
)
def test_invalid_upload_url_requests(emulator, api, items, expected):
    response = api.post(emulator.url(UPLOAD_URLS), json={"items": items})
    assert response.status_code == 422
    assert expected in assert_matches_spec(response, UPLOAD_URLS, "post")["message"]
    assert expected in emulator.violations.pop()


def test_body_must_be_json(emulator, api):
    response = api.post(
        emulator.url(CREATE), data="assets=1", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 422
    assert "application/json" in emulator.violations.pop()


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/v1/ai-clothes-changers"), ("PUT", "/v1/image-projects/x")]
)
def test_operations_outside_the_spec_are_violations(emulator, api, method, path):
    assert api.request(method, emulator.url(path), json={}).status_code == 404
    assert "not an operation in Magic Hour's OpenAPI spec" in emulator.violations.pop()


def test_upload_with_authorization_header_is_rejected(emulator, api):
    response = api.post(
        emulator.url(UPLOAD_URLS), json={"items": [{"type": "image", "extension": "png"}]}
    )
    item = response.json()["items"][0]
    put = api.put(item["upload_url"], data=image_bytes())  # the session carries the API key
    assert put.status_code == 400 and b"<Code>InvalidArgument</Code>" in put.content
    assert emulator.uploads[item["file_path"]].data is None
    path = item["upload_url"].split("?")[0].removeprefix(emulator.base_url)
    assert emulator.violations == [f"PUT {path}: an Authorization header was sent to a storage URL"]
    emulator.violations.clear()


def test_upload_signature_and_content_are_checked(emulator, api):
    response = api.post(
        emulator.url(UPLOAD_URLS), json={"items": [{"type": "image", "extension": "png"}]}
    )
    item = response.json()["items"][0]
    forged = item["upload_url"].split("?")[0] + "?signature=forged"
    assert requests.put(forged, data=image_bytes(), timeout=5).status_code == 403
    assert requests.put(item["upload_url"], data=image_bytes("JPEG"), timeout=5).status_code == 200
    assert "did not issue" in emulator.violations[0]
    assert "not a PNG image" in emulator.violations[1]
    emulator.violations.clear()


# -- project outcomes --------------------------------------------------------------------


def test_project_error_fault_refunds_and_reports_the_code(emulator, api):
    emulator.inject("project_error", code="no_source_face", message="No face found")
    project = poll(api, emulator, create(api, emulator))
    assert project["status"] == "error"
    assert project["error"] == {"code": "no_source_face", "message": "No face found"}
    assert project["credits_charged"] == 0 and project["downloads"] == []


def test_project_canceled_fault(emulator, api):
    emulator.inject("project_canceled")
    project = poll(api, emulator, create(api, emulator))
    assert (project["status"], project["credits_charged"], project["error"]) == (
        "canceled",
        0,
        None,
    )


def test_empty_downloads_fault(emulator, api):
    emulator.inject("empty_downloads")
    project = poll(api, emulator, create(api, emulator))
    assert (project["status"], project["downloads"]) == ("complete", [])


def test_set_status_cancels_a_running_project(emulator, api):
    emulator.latency = 30
    project_id = create(api, emulator)
    assert poll(api, emulator, project_id)["status"] == "queued"
    emulator.set_status(project_id, "canceled")
    assert poll(api, emulator, project_id)["status"] == "canceled"


# -- downloads -----------------------------------------------------------------------------


def test_download_urls_expire_and_a_fresh_poll_renews_them(emulator, api):
    emulator.download_ttl = 0.3
    project_id = create(api, emulator)
    url = poll(api, emulator, project_id)["downloads"][0]["url"]
    time.sleep(0.4)
    expired = requests.get(url, timeout=5)
    assert expired.status_code == 403 and b"Request has expired" in expired.content
    fresh = poll(api, emulator, project_id)["downloads"][0]["url"]
    assert fresh != url and requests.get(fresh, timeout=5).status_code == 200


def test_expired_fault_then_success(emulator, api):
    url = poll(api, emulator, create(api, emulator))["downloads"][0]["url"]
    emulator.inject("expired", status=404)
    assert requests.get(url, timeout=5).status_code == 404
    assert requests.get(url, timeout=5).status_code == 200


def test_sending_the_api_key_to_the_cdn_is_a_violation(emulator, api):
    url = poll(api, emulator, create(api, emulator))["downloads"][0]["url"]
    assert api.get(url).status_code == 200
    assert "Authorization header was sent to a storage URL" in emulator.violations.pop()


@pytest.mark.parametrize("declare_length", [True, False])
def test_oversized_download_is_streamed(emulator, api, declare_length):
    url = poll(api, emulator, create(api, emulator))["downloads"][0]["url"]
    size = 3 * 1024 * 1024 + 5
    emulator.inject("oversized", size=size, declare_length=declare_length)
    with requests.get(url, stream=True, timeout=5) as response:
        assert (response.headers.get("Content-Length") == str(size)) is declare_length
        received = b"".join(response.iter_content(64 * 1024))
    assert len(received) == size and received.startswith(b"\x89PNG")


def test_oversized_download_abandoned_by_the_client(emulator, api):
    url = poll(api, emulator, create(api, emulator))["downloads"][0]["url"]
    emulator.inject("oversized", size=200 * 1024 * 1024)
    with requests.get(url, stream=True, timeout=5) as response:
        next(response.iter_content(1024))  # a size cap stops here and closes the connection
    assert requests.get(url, timeout=5).status_code == 200


def test_non_image_download(emulator, api):
    url = poll(api, emulator, create(api, emulator))["downloads"][0]["url"]
    emulator.inject("not_image")
    response = requests.get(url, timeout=5)
    assert response.headers["Content-Type"] == "image/png"
    with pytest.raises(OSError):
        Image.open(io.BytesIO(response.content))


# -- transport faults ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "status", "retry_after"),
    [
        ({"status": 429, "retry_after": 7}, 429, "7"),
        ({"status": 429}, 429, None),
        ({"status": 500}, 500, None),
        ({"status": 502}, 502, None),
        (
            {"status": 503, "retry_after": "Wed, 21 Oct 2015 07:28:00 GMT"},
            503,
            "Wed, 21 Oct 2015 07:28:00 GMT",
        ),
        ({"status": 402, "message": "Payment required"}, 402, None),
        ({"status": 403}, 403, None),
        ({"status": 401}, 401, None),
    ],
)
def test_http_error_fault(emulator, api, params, status, retry_after):
    emulator.inject("http_error", route="create", **params)
    response = api.post(emulator.url(CREATE), json={})
    assert response.status_code == status
    assert response.headers.get("Retry-After") == retry_after
    assert set(response.json()) == {"message"}
    if str(status) in SPEC.operation(CREATE, "post")["responses"]:
        assert_matches_spec(response, CREATE, "post")
    assert emulator.projects == {} and emulator.create_calls == 1


@pytest.mark.parametrize("status", [200, 502, 503])
def test_html_fault(emulator, api, status):
    emulator.inject("html", status=status)
    response = api.get(emulator.url("/v1/image-projects/x"))
    assert response.status_code == status
    assert response.headers["Content-Type"] == "text/html" and response.text.startswith("<html>")


def test_malformed_json_fault(emulator, api):
    emulator.inject("malformed_json", route="poll")
    response = api.get(emulator.url("/v1/image-projects/x"))
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_missing_fields_fault(emulator, api):
    project_id = create(api, emulator)
    emulator.inject("missing_fields", route="poll", fields=("downloads", "error.code"))
    body = api.get(emulator.url(f"/v1/image-projects/{project_id}")).json()
    assert "downloads" not in body and body["status"] == "complete"
    emulator.inject("missing_fields", route="create")
    assert (
        api.post(
            emulator.url(CREATE),
            json={
                "assets": {
                    "person_file_path": "https://e.com/a.jpg",
                    "garment_file_path": "https://e.com/b.jpg",
                }
            },
        ).json()
        == {}
    )
    assert len(emulator.projects) == 2  # the project was created; only the answer was mangled


def test_timeout_fault(emulator, api):
    emulator.inject("timeout", seconds=2)
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        api.get(emulator.url("/v1/image-projects/x"), timeout=0.3)
    assert time.monotonic() - started < 1.5
    assert api.get(emulator.url("/v1/image-projects/x")).status_code == 404


def test_reset_fault(emulator, api):
    emulator.inject("reset", route="upload_urls")
    with pytest.raises(requests.ConnectionError):
        api.post(emulator.url(UPLOAD_URLS), json={"items": [{"type": "image", "extension": "png"}]})


def test_redirect_fault(emulator, api):
    url = poll(api, emulator, create(api, emulator))["downloads"][0]["url"]
    emulator.inject("redirect", route="download")
    response = requests.get(url, allow_redirects=False, timeout=5)
    assert response.status_code == 302
    assert response.headers["Location"] == "http://169.254.169.254/latest/meta-data/"


def test_faults_are_consumed_in_order_per_route(emulator, api):
    emulator.inject("http_error", status=503, route="create", times=2)
    emulator.inject("http_error", status=429)
    assert (
        api.get(emulator.url("/v1/image-projects/x")).status_code == 429
    )  # the create fault skipped
    assert [fault.route for fault in emulator.pending_faults] == ["create"]
    body = {
        "assets": {
            "person_file_path": "https://e.com/a.jpg",
            "garment_file_path": "https://e.com/b.jpg",
        }
    }
    assert [api.post(emulator.url(CREATE), json=body).status_code for _ in range(3)] == [
        503,
        503,
        200,
    ]
    assert emulator.create_calls == 3 and len(emulator.projects) == 1
    assert [record.fault.kind if record.fault else None for record in emulator.requests] == [
        "http_error",
        "http_error",
        "http_error",
        None,
    ]


def test_inject_rejects_mistakes(emulator):
    with pytest.raises(ValueError, match="Unknown fault"):
        emulator.inject("teapot")
    with pytest.raises(TypeError, match="not \\['code'\\]"):
        emulator.inject("timeout", code=1)
    with pytest.raises(ValueError, match="applies to routes download"):
        emulator.inject("expired", route="create")
    with pytest.raises(ValueError, match="applies to routes create"):
        emulator.inject("project_error", route="poll")
    with pytest.raises(ValueError, match="not 'nowhere'"):
        emulator.inject("reset", route="nowhere")


def test_reset_forgets_everything(emulator, api):
    create(api, emulator)
    emulator.inject("reset")
    emulator.violations.append("x")
    emulator.reset()
    assert (emulator.requests, emulator.violations, emulator.create_calls) == ([], [], 0)
    assert (emulator.projects, emulator.uploads, emulator.pending_faults) == ({}, {}, [])


# -- webhooks ----------------------------------------------------------------------------


def verify(secret: str, headers, raw_body: bytes, tolerance: int = 300) -> bool:
    """A webhook check written from Magic Hour's "Securing Your Webhook Handler" page."""
    signature = headers["magic-hour-event-signature"]
    timestamp = headers["magic-hour-event-timestamp"]
    if abs(int(time.time()) - int(timestamp)) > tolerance:
        return False
    signed_payload = f"{timestamp}.{raw_body.decode('utf-8')}"
    expected = hmac.new(
        secret.encode("utf-8"), signed_payload.encode("utf-8"), hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(signature, expected)


class Receiver:
    """A webhook endpoint that keeps what it receives."""

    def __init__(self) -> None:
        self.events: list[tuple[dict[str, str], bytes]] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.arrived:
                    receiver.events.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    receiver.arrived.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def wait_for(self, count: int, timeout: float = 5) -> list[tuple[dict[str, str], bytes]]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.events) >= count, timeout)
            return list(self.events)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def assert_event(secret: str, headers: dict[str, str], body: bytes, event_type: str) -> dict:
    assert verify(secret, headers, body)
    event = json.loads(body)
    errors = [error.message for error in SPEC.webhook_validator(event_type).iter_errors(event)]
    assert errors == [] and event["type"] == event_type
    return event["payload"]


def test_send_webhook_signs_like_magic_hour(emulator, api, receiver):
    project_id = create(api, emulator)
    sent = emulator.send_webhook(receiver.url, "whsec_test", "image.completed", project_id)
    assert sent.status_code == 200 and emulator.webhooks_sent == [sent]
    [(headers, body)] = receiver.wait_for(1)
    payload = assert_event("whsec_test", headers, body, "image.completed")
    assert payload["id"] == project_id and payload["status"] == "complete"
    assert requests.get(payload["downloads"][0]["url"], timeout=5).status_code == 200


def test_stale_and_forged_webhooks_fail_verification(emulator, api, receiver):
    project_id = create(api, emulator)
    emulator.send_webhook(
        receiver.url, "whsec_test", "image.completed", project_id, timestamp=int(time.time()) - 600
    )
    emulator.send_webhook(receiver.url, "not-the-secret", "image.completed", project_id)
    (stale_headers, stale_body), (forged_headers, forged_body) = receiver.wait_for(2)
    assert not verify("whsec_test", stale_headers, stale_body)
    assert verify("whsec_test", stale_headers, stale_body, tolerance=3600)  # only the age is wrong
    assert not verify("whsec_test", forged_headers, forged_body)


def test_webhook_request_for_a_test_client(emulator, api):
    emulator.latency = 30
    project_id = create(api, emulator)
    body, headers = emulator.webhook_request("image.errored", project_id, secret="s")
    payload = assert_event("s", headers, body, "image.errored")
    assert payload["status"] == "error" and payload["error"]["code"] == "no_source_face"
    assert poll(api, emulator, project_id)["status"] == "error"  # the event moved the project
    with pytest.raises(ValueError, match="Unknown event"):
        emulator.webhook_request("image.canceled", project_id, secret="s")


def test_automatic_webhooks_follow_the_project(receiver):
    with (
        MagicHourEmulator(
            latency=0.4, webhook_url=receiver.url, webhook_secret="whsec_auto"
        ) as emulator,
        requests.Session() as api,
    ):
        api.headers["Authorization"] = f"Bearer {emulator.api_key}"
        project_id = create(api, emulator)
        emulator.inject("project_error", code="content_policy_violation", message="Not allowed")
        failed_id = create(api, emulator)
        events = receiver.wait_for(4)
    payloads = {}
    for headers, body in events:
        event_type = json.loads(body)["type"]
        payload = assert_event("whsec_auto", headers, body, event_type)
        payloads.setdefault(payload["id"], []).append((event_type, payload["status"]))
    assert payloads[project_id] == [("image.started", "rendering"), ("image.completed", "complete")]
    assert payloads[failed_id] == [("image.started", "rendering"), ("image.errored", "error")]
    assert emulator.violations == []


def test_cancellation_sends_no_webhook(receiver):
    with (
        MagicHourEmulator(latency=30, webhook_url=receiver.url, webhook_secret="s") as emulator,
        requests.Session() as api,
    ):
        api.headers["Authorization"] = f"Bearer {emulator.api_key}"
        emulator.set_status(create(api, emulator), "canceled")
        time.sleep(0.3)
    assert receiver.events == [] and emulator.webhooks_sent == []


# -- shipped pieces ------------------------------------------------------------------------


def test_the_spec_subset_notes_its_source():
    assert SPEC.document["x-source"]["repository"] == "magichourhq/docs"
    assert SPEC.document["x-source"]["commit"] == "f5df0c5"
    assert set(SPEC.document["paths"]) == {UPLOAD_URLS, CREATE, PROJECT}
    assert set(SPEC.document["paths"][PROJECT]) == {"get", "delete"}


def test_fixture_fails_the_test_on_violations(tmp_path):
    (tmp_path / "test_bad_client.py").write_text(
        textwrap.dedent(
            """
            import requests
            pytest_plugins = ["django_tryon.testing.fixtures"]

            def test_sends_plain_http(magichour_emulator):
                response = requests.post(
                    magichour_emulator.url("/v1/ai-clothes-changer"),
                    headers={"Authorization": "Bearer mh-test-key"},
                    json={"assets": {"person_file_path": "http://e.com/a.jpg",
                                     "garment_file_path": "https://e.com/b.jpg",
                                     "garment_type": "upper_body"}},
                )
                assert response.status_code == 422  # handled, yet the test must fail
            """
        )
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:django",
            "-p",
            "no:cacheprovider",
            str(tmp_path),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stdout
    assert "1 passed, 1 error" in result.stdout
    assert "URLs must use https" in result.stdout


@pytest.mark.parametrize(
    ("provider", "env"),
    [("magichour", "MAGICHOUR"), ("changeclothes", "CHANGECLOTHES"), ("fashn", "FASHN")],
)
def test_tryon_emulator_command(provider, env):
    script = textwrap.dedent(
        f"""
        import django
        from django.conf import settings
        settings.configure()
        django.setup()
        from django_tryon.management.commands.tryon_emulator import Command
        argv = ["manage.py", "tryon_emulator", "{provider}", "--port", "0", "--latency", "0"]
        Command().run_from_argv(argv)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        lines = [process.stdout.readline().strip() for _ in range(7)]
        base_url = lines[0].split()[-1]
        assert f"export {env}_BASE_URL={base_url}" in lines
        assert "export TRYON_ALLOW_PRIVATE_URLS=1" in lines
        assert f"export TRYON_PROVIDER={provider}" in lines
        assert requests.post(base_url + "/nowhere", timeout=5).status_code == 404
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0
    assert "POST /nowhere -> 404" in output and output.rstrip().endswith("Stopped.")


# -- what the official SDK's models add to the published spec --------------------------------


def test_projects_carry_total_frame_cost_and_dresses_is_still_accepted(emulator, api):
    response = api.post(
        emulator.url(CREATE),
        json={
            "assets": {
                "person_file_path": upload(api, emulator, image_bytes()),
                "garment_file_path": upload(api, emulator, image_bytes()),
                "garment_type": "dresses",  # deprecated, yet listed by the spec and the SDK
            }
        },
    )
    created = assert_matches_spec(response, CREATE, "post")
    project = poll(api, emulator, created["id"])
    assert project["total_frame_cost"] == project["credits_charged"] == 25
    assert emulator.projects[created["id"]].garment_type == "dresses"
    assert emulator.violations == []


def test_account_tells_credits_left_and_plan_and_creates_spend_them(emulator, api):
    emulator.credits = 60
    account = api.get(emulator.url("/v1/account")).json()
    assert (account["credits"], account["tier"]) == (60, "creator")
    assert account["subscription"]["status"] == "active"

    def create() -> requests.Response:
        return api.post(
            emulator.url(CREATE),
            json={
                "assets": {
                    "person_file_path": upload(api, emulator, image_bytes()),
                    "garment_file_path": upload(api, emulator, image_bytes()),
                }
            },
        )

    assert create().status_code == create().status_code == 200
    assert api.get(emulator.url("/v1/account")).json()["credits"] == 10
    refused = create()
    assert refused.status_code == 402 and refused.json() == {"message": "Insufficient credits"}
    unauthenticated = requests.get(emulator.url("/v1/account"), timeout=5)
    assert unauthenticated.status_code == 401
    emulator.violations.clear()  # the request without a key was on purpose
