"""FASHN's official SDK (``fashn``) against our shipped emulator, over real HTTP.

The SDK's documented flow: ``predictions.run`` then ``predictions.status`` until the end,
or ``predictions.subscribe`` doing both; the output is a CDN URL (or a base64 data URI)
to download. Its models are pydantic models generated from FASHN's spec, its errors the
typed ``APIStatusError`` family, and it retries 429 and 5xx itself.
"""

from __future__ import annotations

import base64
import inspect
import io
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import fashn
import httpx
import pytest
from PIL import Image

from django_tryon.providers.fashn import RESUBMIT_ERRORS, RUNTIME_ERRORS
from django_tryon.testing.emulators import FashnEmulator
from tests.fixtures import make_image


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


PERSON = data_uri(make_image((320, 400), "JPEG"), "image/jpeg")
GARMENT = data_uri(make_image((200, 200), "PNG", person=False), "image/png")
INPUTS = {"model_image": PERSON, "garment_image": GARMENT}


@pytest.fixture
def emulator(fashn_emulator: FashnEmulator) -> FashnEmulator:
    fashn_emulator.latency = 0.2
    return fashn_emulator


@pytest.fixture
def client(emulator: FashnEmulator) -> fashn.Fashn:
    return fashn.Fashn(api_key=emulator.api_key, base_url=emulator.base_url, timeout=10)


def picture(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_subscribe_runs_polls_and_reports_credits_used(client, emulator):
    seen: list[str] = []
    result = client.predictions.subscribe(
        model_name="tryon-v1.6",
        inputs={**INPUTS, "category": "tops", "mode": "performance", "seed": 42},
        poll_interval=20,
        on_queue_update=lambda status: seen.append(status.status),
    )
    assert (result.status, result.error, result.credits_used) == ("completed", None, 1)
    assert seen[-1] == "completed" and set(seen) <= {
        "starting",
        "in_queue",
        "processing",
        "completed",
    }
    downloaded = httpx.get(result.output[0])
    assert downloaded.status_code == 200 and picture(downloaded.content).format == "PNG"
    assert emulator.balance == 999
    assert emulator.violations == []


def test_run_then_status_the_lower_level_flow(client, emulator):
    started = client.predictions.run(
        model_name="tryon-v1.6",
        inputs={**INPUTS, "category": "one-pieces", "output_format": "jpeg", "num_samples": 2},
    )
    assert started.id and started.error is None
    status = client.predictions.status(started.id)
    assert status.status in ("starting", "in_queue", "processing")
    emulator.set_status(started.id, "completed")
    done = client.predictions.status(started.id)
    assert done.status == "completed" and len(done.output) == 2
    assert all(picture(httpx.get(url).content).format == "JPEG" for url in done.output)


def test_base64_output_never_leaves_the_answer(client):
    result = client.predictions.subscribe(
        model_name="tryon-v1.6", inputs={**INPUTS, "return_base64": True}, poll_interval=20
    )
    header, _, encoded = result.output[0].partition(",")
    assert header == "data:image/png;base64"
    assert picture(base64.b64decode(encoded)).size == (320, 400)


def test_the_credits_endpoint(client, emulator):
    emulator.balance = 234
    assert client.get("/v1/credits", cast_to=object) == {
        "credits": {"total": 234, "subscription": 100, "on_demand": 134}
    }


class Receiver:
    """A loopback endpoint recording what FASHN's callbacks deliver."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.bodies.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                receiver.arrived.set()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?token=t"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()


def test_webhook_url_goes_as_a_query_parameter_and_the_end_is_posted(client, emulator, receiver):
    started = client.predictions.run(
        model_name="tryon-v1.6", inputs=INPUTS, webhook_url=receiver.url
    )
    assert emulator.requests[-1].query["webhook_url"] == [receiver.url]
    assert receiver.arrived.wait(5)
    [body] = receiver.bodies
    assert (body["id"], body["status"]) == (started.id, "completed")
    assert body["output"] and body["error"] is None


# -- faults, as the SDK shows them -------------------------------------------------------------


def test_a_bad_key_is_an_authentication_error(emulator):
    client = fashn.Fashn(api_key="wrong", base_url=emulator.base_url)
    with pytest.raises(fashn.AuthenticationError) as raised:
        client.predictions.run(model_name="tryon-v1.6", inputs=INPUTS)
    assert raised.value.body == {
        "error": "UnauthorizedAccess",
        "message": "Unauthorized: Invalid token",
    }


@pytest.mark.parametrize("name", ["OutOfCredits", "ConcurrencyLimitExceeded", "RateLimitExceeded"])
def test_429s_are_rate_limit_errors_naming_the_cause(emulator, name):
    client = fashn.Fashn(api_key=emulator.api_key, base_url=emulator.base_url, max_retries=0)
    emulator.inject("http_error", route="create", status=429, error=name, retry_after=0)
    with pytest.raises(fashn.RateLimitError) as raised:
        client.predictions.run(model_name="tryon-v1.6", inputs=INPUTS)
    assert raised.value.body["error"] == name


def test_the_real_limits_answer_429_too(emulator):
    client = fashn.Fashn(api_key=emulator.api_key, base_url=emulator.base_url, max_retries=0)
    emulator.latency, emulator.concurrency_limit = 30, 1
    client.predictions.run(model_name="tryon-v1.6", inputs=INPUTS)
    with pytest.raises(fashn.RateLimitError) as busy:
        client.predictions.run(model_name="tryon-v1.6", inputs=INPUTS)
    assert busy.value.body["error"] == "ConcurrencyLimitExceeded"
    emulator.concurrency_limit, emulator.balance = 6, 0
    with pytest.raises(fashn.RateLimitError) as broke:
        client.predictions.run(model_name="tryon-v1.6", inputs=INPUTS)
    assert broke.value.body["error"] == "OutOfCredits"


def test_a_500_is_retried_by_the_sdk_itself(client, emulator):
    emulator.inject("http_error", route="create", status=500, retry_after=0)
    started = client.predictions.run(model_name="tryon-v1.6", inputs=INPUTS)
    assert started.id and emulator.create_calls == 2


def test_a_runtime_error_is_a_failed_status_with_its_name(client, emulator):
    emulator.inject("prediction_error", name="ContentModerationError", message="flagged")
    result = client.predictions.subscribe(model_name="tryon-v1.6", inputs=INPUTS, poll_interval=20)
    assert result.status == "failed" and result.credits_used == 0
    assert (result.error.name, result.error.message) == ("ContentModerationError", "flagged")
    assert emulator.balance == 1000  # failures are free


def test_an_invalid_input_is_a_bad_request(client, emulator):
    with pytest.raises(fashn.BadRequestError) as raised:
        client.predictions.run(model_name="tryon-v1.6", inputs={**INPUTS, "category": "dresses"})
    assert raised.value.body["error"] == "BadRequest" and "category" in raised.value.body["message"]
    emulator.violations.clear()  # on purpose


def test_an_empty_output_list_is_completed_with_nothing(client, emulator):
    emulator.inject("empty_output")
    result = client.predictions.subscribe(model_name="tryon-v1.6", inputs=INPUTS, poll_interval=20)
    assert (result.status, result.output) == ("completed", [])


def test_unknown_prediction_is_not_found(client):
    with pytest.raises(fashn.NotFoundError):
        client.predictions.status("no-such-prediction")


def test_the_provider_resubmits_exactly_the_errors_the_sdk_says_to_retry():
    """``Error.name``'s documentation gives each runtime error a solution; those whose
    solution is "Retry request" are the ones our provider sends again (ResubmitError)."""
    from fashn.types.prediction_status_response import Error

    sections = re.split(r"\n\s*\*\*", inspect.getsource(Error))[1:]
    documented = {section.split("**")[0]: " ".join(section.split()) for section in sections}
    assert set(documented) == set(RUNTIME_ERRORS)  # every name the SDK knows is mapped
    retry = {name for name, text in documented.items() if "_Solution_: Retry request" in text}
    assert retry == RESUBMIT_ERRORS
