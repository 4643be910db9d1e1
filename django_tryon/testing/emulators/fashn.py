"""A FASHN emulator: Virtual Try-On v1.6 through ``/v1/run`` and ``/v1/status``.

Routes (the names ``inject`` takes):

- ``create``: ``POST /v1/run`` with ``{"model_name": "tryon-v1.6", "inputs": {...}}`` and an
  optional ``webhook_url`` query parameter; answers ``{"id": ..., "error": null}``;
- ``poll``: ``GET /v1/status/{id}``: ``starting``, ``in_queue``, ``processing``, then
  ``completed`` with ``output`` (CDN URLs, or data URIs with ``return_base64``) or ``failed``
  with ``error: {name, message}``;
- ``credits``: ``GET /v1/credits``: ``{"credits": {"total", "subscription", "on_demand"}}``;
- ``download``: ``GET /_cdn/{id}/{n}.png``, a picture made with Pillow.

The request shapes are those of the official SDK (``fashn`` 0.9.0:
``types/prediction_run_params.py``, ``TryOnRequest`` and ``TryOnRequestInputs``); the
answers are what its models parse (``PredictionRunResponse``, ``PredictionStatusResponse``).
An input the SDK's types don't have, a value outside their literals, or an image that is
neither an http(s) URL, a ``data:image/...;base64,`` URI of a real picture nor ``saved:<name>``
is answered 400 ``BadRequest`` and recorded in ``violations``.

API-level errors are ``{"error": <name>, "message": ...}`` with the documented statuses:
400 ``BadRequest``, 401 ``UnauthorizedAccess``, 404 ``NotFound``, 429
``RateLimitExceeded``/``ConcurrencyLimitExceeded``/``OutOfCredits``, 500
``InternalServerError``. ``concurrency_limit`` predictions may run at once (the documented
default is 6); ``balance`` credits are spent one per sample when a prediction completes
(failures are free); at zero, ``/v1/run`` answers 429 ``OutOfCredits``.

Webhooks: with a ``webhook_url``, the emulator POSTs the final status payload there once the
prediction ends, unsigned (FASHN does not sign them), retrying a non-2xx answer up to
``webhook_retries`` times. The SDK sends ``webhook_url`` as a query parameter, as the
documentation says.

Where the SDK and the documentation disagree, the emulator follows the SDK's models:

- statuses ``canceled`` and ``time_out`` exist in the SDK's ``PredictionStatusResponse``, not
  in the documentation's list of states;
- the terminal status answer carries the ``x-fashn-credits-used`` header that the SDK's
  ``subscribe`` reads; the documentation does not mention it.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import PurePosixPath
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit

import requests

from .base import (
    COMMON_FAULTS,
    Answer,
    Emulator,
    Fault,
    FaultSpec,
    RecordedRequest,
    Refused,
    Response,
    json_response,
    open_image,
    render_result,
    xml_error,
)

try:
    import jsonschema
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "The FASHN emulator validates requests with jsonschema: pip install 'django-tryon[testing]'"
    ) from exc

MODEL_NAME = "tryon-v1.6"
RUNNING = ("starting", "in_queue", "processing")
TERMINAL = ("completed", "failed", "canceled", "time_out")
CREDITS_HEADER = "x-fashn-credits-used"
ERROR_NAMES = {
    400: "BadRequest",
    401: "UnauthorizedAccess",
    404: "NotFound",
    429: "RateLimitExceeded",
    500: "InternalServerError",
}
# Runtime error names (``PredictionStatusResponse.error.name``).
RUNTIME_ERRORS = (
    "ImageLoadError",
    "ContentModerationError",
    "PoseError",
    "InputValidationError",
    "PipelineError",
    "ThirdPartyError",
    "3rdPartyProviderError",
    "InternalServerError",
    "PollingTimeout",
)

# ``TryOnRequest`` of the SDK as JSON Schema: required keys, literals, nothing else.
RUN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["model_name", "inputs"],
    "additionalProperties": False,
    "properties": {
        "model_name": {"enum": [MODEL_NAME]},
        "inputs": {
            "type": "object",
            "required": ["model_image", "garment_image"],
            "additionalProperties": False,
            "properties": {
                "model_image": {"type": "string", "minLength": 1},
                "garment_image": {"type": "string", "minLength": 1},
                "category": {"enum": ["auto", "tops", "bottoms", "one-pieces"]},
                "garment_photo_type": {"enum": ["auto", "flat-lay", "model"]},
                "mode": {"enum": ["performance", "balanced", "quality"]},
                "moderation_level": {"enum": ["conservative", "permissive", "none"]},
                "num_samples": {"type": "integer", "minimum": 1, "maximum": 4},
                "output_format": {"enum": ["png", "jpeg"]},
                "return_base64": {"type": "boolean"},
                "seed": {"type": "integer", "minimum": 0},
                "segmentation_free": {"type": "boolean"},
            },
        },
    },
}
_RUN_VALIDATOR = jsonschema.Draft7Validator(RUN_SCHEMA)


@dataclass
class Prediction:
    id: str
    created_at: float
    inputs: dict[str, Any]
    webhook_url: str = ""
    status: str = "starting"
    outcome: str = "completed"
    error: dict[str, str] | None = None
    empty_output: bool = False
    results: dict[int, bytes] = field(default_factory=dict, repr=False)
    charged: bool = False

    @property
    def samples(self) -> int:
        return int(self.inputs.get("num_samples", 1))


@dataclass(frozen=True)
class SentCallback:
    url: str
    prediction_id: str
    body: bytes
    status_code: int | None  # None when delivery failed


class FashnEmulator(Emulator):
    """FASHN on loopback. See the module docstring for routes and rules."""

    name = "fashn"
    routes = ("create", "poll", "credits", "download")
    faults: ClassVar[dict[str, FaultSpec]] = {
        **COMMON_FAULTS,
        "http_error": FaultSpec(
            "an HTTP error status with FASHN's JSON error body; `error` names it "
            "(OutOfCredits, ConcurrencyLimitExceeded...; default: the status's usual name)",
            {"status": 500, "retry_after": None, "message": None, "error": None},
        ),
        "prediction_error": FaultSpec(
            "the prediction created by this request fails with this runtime error",
            {"name": "PoseError", "message": "Unable to detect body pose in the model image"},
            routes=("create",),
        ),
        "prediction_canceled": FaultSpec(
            "the prediction created by this request ends canceled", routes=("create",)
        ),
        "empty_output": FaultSpec(
            "the prediction created by this request completes with an empty output list",
            routes=("create",),
        ),
    }

    def __init__(
        self,
        *,
        api_key: str = "fa-test-key",
        latency: float = 0.0,
        port: int = 0,
        balance: int = 1000,
        concurrency_limit: int = 6,
        webhook_retries: int = 5,
    ) -> None:
        super().__init__(api_key=api_key, latency=latency, port=port)
        self.balance = balance
        self.subscription_credits = min(balance, 100)
        self.concurrency_limit = concurrency_limit
        self.webhook_retries = webhook_retries
        self.predictions: dict[str, Prediction] = {}
        self.callbacks_sent: list[SentCallback] = []
        self._outbox: list[Prediction] = []

    def start(self) -> Self:
        super().start()
        self._spawn(self._tick)
        return self

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.predictions.clear()
            self.callbacks_sent.clear()
            self._outbox.clear()

    # -- state -------------------------------------------------------------------------

    def set_status(self, prediction_id: str, status: str, *, error: str = "PipelineError") -> None:
        """Move a prediction to ``status`` now (``failed`` with the runtime error ``error``)."""
        with self._lock:
            prediction = self.predictions[prediction_id]
            if status == "failed":
                prediction.error = {"name": error, "message": f"{error} (set by the test)"}
            self._move(prediction, status)

    def _move(self, prediction: Prediction, status: str) -> None:
        if status == prediction.status:
            return
        prediction.status = status
        if status == "failed" and prediction.error is None:
            prediction.error = {"name": "PipelineError", "message": "Unexpected pipeline error"}
        if status == "completed" and not prediction.charged:
            prediction.charged = True  # "no charge for failures": only successes cost
            self.balance = max(0, self.balance - prediction.samples)
        if status in TERMINAL and prediction.webhook_url:
            self._outbox.append(prediction)

    def _advance(self, prediction: Prediction) -> None:
        if prediction.status in TERMINAL:
            return
        elapsed = time.time() - prediction.created_at
        if elapsed >= self.latency:
            self._move(prediction, prediction.outcome)
        elif elapsed >= self.latency * 2 / 3:
            self._move(prediction, "processing")
        elif elapsed >= self.latency / 3:
            self._move(prediction, "in_queue")

    def _tick(self) -> None:
        # Predictions end on time even when nobody polls, so callbacks go out on time.
        while not self._stopping.wait(0.05):
            with self._lock:
                for prediction in self.predictions.values():
                    self._advance(prediction)
                outbox, self._outbox = self._outbox, []
                bodies = [(p, json.dumps(self._status_json(p)).encode()) for p in outbox]
            for prediction, body in bodies:
                self._spawn(lambda p=prediction, b=body: self._deliver(p, b))  # type: ignore[misc]

    def _deliver(self, prediction: Prediction, body: bytes) -> None:
        for attempt in range(self.webhook_retries + 1):
            try:
                answer = requests.post(
                    prediction.webhook_url,
                    data=body,
                    headers={"Content-Type": "application/json"},
                    timeout=10,
                    allow_redirects=False,
                )
                status: int | None = answer.status_code
            except requests.RequestException:
                status = None
            with self._lock:
                self.callbacks_sent.append(
                    SentCallback(prediction.webhook_url, prediction.id, body, status)
                )
            if status is not None and 200 <= status < 300:
                return
            self.sleep(min(2.0**attempt * 0.1, 5.0))

    def running(self) -> int:
        with self._lock:
            for prediction in self.predictions.values():
                self._advance(prediction)
            return sum(1 for p in self.predictions.values() if p.status in RUNNING)

    def _status_json(self, prediction: Prediction) -> dict[str, Any]:
        output: list[str] | None = None
        if prediction.status == "completed":
            output = [] if prediction.empty_output else self._outputs(prediction)
        return {
            "id": prediction.id,
            "status": prediction.status,
            "output": output,
            "error": prediction.error if prediction.status == "failed" else None,
        }

    def _outputs(self, prediction: Prediction) -> list[str]:
        jpeg = prediction.inputs.get("output_format") == "jpeg"
        if prediction.inputs.get("return_base64"):
            mime = "image/jpeg" if jpeg else "image/png"
            return [
                f"data:{mime};base64,{base64.b64encode(self._result(prediction, n)).decode()}"
                for n in range(prediction.samples)
            ]
        suffix = "jpeg" if jpeg else "png"
        return [self.url(f"/_cdn/{prediction.id}/{n}.{suffix}") for n in range(prediction.samples)]

    def _result(self, prediction: Prediction, number: int) -> bytes:
        if number not in prediction.results:
            fmt = "JPEG" if prediction.inputs.get("output_format") == "jpeg" else "PNG"
            prediction.results[number] = render_result(
                _image_bytes(prediction.inputs["model_image"]),
                _image_bytes(prediction.inputs["garment_image"]),
                fmt,
            )
        return prediction.results[number]

    # -- requests ----------------------------------------------------------------------

    def route_for(self, method: str, path: str) -> str | None:
        if path.startswith("/_cdn/"):
            return "download" if method == "GET" else None
        if (method, path) == ("POST", "/v1/run"):
            return "create"
        if (method, path) == ("GET", "/v1/credits"):
            return "credits"
        if method == "GET" and path.startswith("/v1/status/") and path.count("/") == 3:
            return "poll"
        return None

    def error_response(
        self,
        status: int,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        error: str | None = None,
    ) -> Response:
        name = error or ERROR_NAMES.get(status) or HTTPStatus(status).phrase.replace(" ", "")
        body = {"error": name, "message": message or HTTPStatus(status).phrase}
        return json_response(body, status, headers)

    def fault_response(self, fault: Fault, record: RecordedRequest) -> Answer | None:
        if fault.kind == "http_error":
            params = fault.params
            retry_after = params["retry_after"]
            headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
            return self.error_response(
                params["status"], params["message"], headers, error=params["error"]
            )
        return super().fault_response(fault, record)

    def handle(self, record: RecordedRequest) -> Answer:
        try:
            if record.route is None:
                self.violate(record, "not an endpoint of the FASHN API")
                return self.error_response(404, "Not Found")
            if record.route == "download":
                return self._download(record)
            self._authenticate(
                record, missing="Unauthorized: Missing token", wrong="Unauthorized: Invalid token"
            )
            match record.route:
                case "create":
                    return self._run(record)
                case "poll":
                    return self._status(record)
                case _:  # credits
                    return json_response(
                        {
                            "credits": {
                                "total": self.balance,
                                "subscription": min(self.balance, self.subscription_credits),
                                "on_demand": max(0, self.balance - self.subscription_credits),
                            }
                        }
                    )
        except Refused as refused:
            return refused.response

    def _run(self, record: RecordedRequest) -> Response:
        body = self._json_body(record, 400)
        errors = sorted(
            f"{'.'.join(map(str, error.absolute_path)) or 'body'}: {error.message}"
            for error in _RUN_VALIDATOR.iter_errors(body)
        )
        if errors:
            self._refuse(record, 400, "; ".join(errors))
        inputs = body["inputs"]
        for name in ("model_image", "garment_image"):
            problem = _image_problem(inputs[name])
            if problem:
                self._refuse(record, 400, f"inputs.{name}: {problem}")
        webhook_urls = record.query.get("webhook_url", [])
        webhook_url = webhook_urls[0] if webhook_urls else ""
        if webhook_url and urlsplit(webhook_url).scheme not in ("http", "https"):
            self._refuse(record, 400, "webhook_url must be an http(s) URL")
        with self._lock:
            if self.balance < int(inputs.get("num_samples", 1)):
                self._refuse(
                    record, 429, "No API credits remaining", error="OutOfCredits", violation=False
                )
            if self.running() >= self.concurrency_limit:
                self._refuse(
                    record,
                    429,
                    f"Concurrency limit of {self.concurrency_limit} reached",
                    error="ConcurrencyLimitExceeded",
                    violation=False,
                )
            prediction = Prediction(
                id=f"{uuid.uuid4()}-u1", created_at=time.time(), inputs=inputs,
                webhook_url=webhook_url,
            )  # fmt: skip
            fault = record.fault
            if fault and fault.kind == "prediction_error":
                prediction.outcome = "failed"
                prediction.error = {
                    "name": fault.params["name"],
                    "message": fault.params["message"],
                }
            elif fault and fault.kind == "prediction_canceled":
                prediction.outcome = "canceled"
            elif fault and fault.kind == "empty_output":
                prediction.empty_output = True
            self.predictions[prediction.id] = prediction
            self._advance(prediction)
        return json_response({"id": prediction.id, "error": None})

    def _status(self, record: RecordedRequest) -> Response:
        with self._lock:
            prediction = self.predictions.get(PurePosixPath(record.path).name)
            if prediction is None:
                self._refuse(record, 404, "Prediction not found", violation=False)
            self._advance(prediction)
            headers = {}
            if prediction.status in TERMINAL:
                used = prediction.samples if prediction.status == "completed" else 0
                headers[CREDITS_HEADER] = str(used)
            return json_response(self._status_json(prediction), headers=headers)

    def _download(self, record: RecordedRequest) -> Response:
        path = PurePosixPath(record.path)
        with self._lock:
            prediction = self.predictions.get(path.parent.name)
            try:
                number = int(path.stem)
            except ValueError:
                number = -1
            if (
                prediction is None
                or prediction.status != "completed"
                or not 0 <= number < prediction.samples
            ):
                return xml_error(404, "NoSuchKey", "The specified key does not exist.")
            mime = "image/jpeg" if path.suffix == ".jpeg" else "image/png"
            return Response(200, self._result(prediction, number), {"Content-Type": mime})


def _image_bytes(value: str) -> bytes | None:
    """The picture a ``data:`` URI carries; None for URLs (never fetched) and saved models."""
    if not value.startswith("data:"):
        return None
    _, _, encoded = value.partition(",")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None


def _image_problem(value: str) -> str:
    """Why an image input would fail to load at FASHN ("" when it is fine)."""
    if value.startswith("saved:"):
        return "" if value[len("saved:") :] else "a saved model needs a name"
    if value.startswith("data:"):
        header, comma, _ = value.partition(",")
        if not comma or not header.startswith("data:image/") or not header.endswith(";base64"):
            return "base64 images need the data:image/<format>;base64, prefix"
        if open_image(_image_bytes(value)) is None:
            return "the base64 data is not a readable image"
        return ""
    if urlsplit(value).scheme in ("http", "https") and urlsplit(value).netloc:
        return ""
    return "neither an http(s) URL, a data:image/...;base64 URI nor saved:<name>"
