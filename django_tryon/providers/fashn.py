"""FASHN Virtual Try-On v1.6 (https://docs.fashn.ai).

One try-on is ``POST /v1/run`` (``model_name: "tryon-v1.6"`` and ``inputs``), polling
``GET /v1/status/{id}`` until ``completed``, then fetching ``output[0]``: a CDN URL (kept 72 h)
or, with ``return_base64``, a ``data:`` URI that never leaves FASHN's answer. Request shapes
follow the official SDK (``fashn``: ``TryOnRequest``/``TryOnRequestInputs``).

FASHN charges one credit per picture, and only for successes. Its callbacks
(``webhook_url``) are not signed: one only makes the pipeline poll now, its body is never
trusted. API-level errors are ``{"error": <name>, "message": ...}``: ``OutOfCredits`` pauses
the alias, ``RateLimitExceeded`` and ``ConcurrencyLimitExceeded`` are retried after a wait.
A prediction that failed with an error FASHN documents as "Retry request" (``PipelineError``
...) is a ``ResubmitError``: the pipeline sends a new one (``MAX_RESUBMISSIONS``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import requests
from django.utils.translation import gettext_lazy as _

from ..conf import tryon_settings
from ..imaging import sniff_image_format
from .base import (
    AccountError,
    AccountSummary,
    CheckResult,
    ImageInput,
    JobState,
    PermanentError,
    ProviderError,
    ProviderJob,
    ResubmitError,
    TransientError,
    TryOnRequest,
    WebhookEvent,
    WebhookRejected,
)
from .http import SPOOL_BYTES, HttpProvider, parse_retry_after

MODEL_NAME = "tryon-v1.6"
# Our category -> ``inputs.category``. ``auto`` (FASHN classifies the garment) is an option.
CATEGORIES = {"upper_body": "tops", "lower_body": "bottoms", "full_body": "one-pieces"}
# The documented inputs a shop may set (alias ``INPUTS`` or a job's options), with their values.
CHOICES: dict[str, tuple[Any, ...]] = {
    "category": ("auto", "tops", "bottoms", "one-pieces"),
    "mode": ("performance", "balanced", "quality"),
    "garment_photo_type": ("auto", "flat-lay", "model"),
    "moderation_level": ("conservative", "permissive", "none"),
    "output_format": ("png", "jpeg"),
    "segmentation_free": (True, False),
    "return_base64": (True, False),
}
MAX_SEED = 2**32 - 1
# Typical seconds per mode (documented): the first poll waits about that long.
TYPICAL_SECONDS = {"performance": 5.0, "balanced": 8.0, "quality": 12.0}
IMAGE_MODES = ("base64", "url")
_RUNNING = {"starting", "in_queue", "processing"}
# Documented defaults: 6 predictions at once; at least this long after a 429 without a header.
CONCURRENCY_WAIT = 5.0
# Where the webhook view hands over the callback URL's query string.
WEBHOOK_QUERY_HEADER = "x-tryon-query"

# Runtime error names (``status: failed``) -> our codes. Failures cost nothing.
RUNTIME_ERRORS = {
    "ImageLoadError": "invalid_input",
    "ContentModerationError": "harmful_content",
    "PoseError": "no_person",
    "InputValidationError": "invalid_input",
    "PipelineError": "provider_error",
    "ThirdPartyError": "provider_error",
    "3rdPartyProviderError": "provider_error",
    "InternalServerError": "provider_error",
    "PollingTimeout": "deadline_exceeded",
}
# The failures FASHN's SDK documents with "Solution: Retry request" (``Error.name`` in
# ``fashn.types.prediction_status_response``): FASHN's own trouble, not the inputs'. The
# pipeline sends a new prediction (``ResubmitError``), up to MAX_RESUBMISSIONS times.
# ImageLoadError ("ensure public accessibility...") and ThirdPartyError ("modify image
# inputs") are the inputs' fault: resubmitting the same ones would fail the same way.
RESUBMIT_ERRORS = frozenset(
    {"PipelineError", "3rdPartyProviderError", "InternalServerError", "PollingTimeout"}
)
RUNTIME_WORDS = {
    "ImageLoadError": _("The try-on service could not open one of the pictures."),
    "PoseError": _(
        "We couldn't find a body pose in this photo. Please use a clear photo of one person, "
        "standing and facing the camera."
    ),
}


def runtime_error(error: Any) -> ProviderError:
    """A failed prediction's ``error`` object as one of our permanent errors."""
    details = error if isinstance(error, dict) else {}
    name = str(details.get("name") or "")
    ours = RUNTIME_ERRORS.get(name, "provider_error")
    kind = ResubmitError if name in RESUBMIT_ERRORS else PermanentError
    return kind(ours, RUNTIME_WORDS.get(name), provider_code=name or "failed")


def _data_uri(image: ImageInput) -> str:
    return f"data:{image.content_type};base64,{base64.b64encode(image.content).decode('ascii')}"


class FashnProvider(HttpProvider):
    display_name = "FASHN Virtual Try-On"
    default_base_url = "https://api.fashn.ai"
    categories = frozenset(CATEGORIES)
    supports_cancel = False  # the API has no cancel endpoint
    default_cost = 1  # one credit per picture, successes only
    default_timeout = 30.0
    options_schema = {
        "API_KEY": "the API key (Developer API dashboard)",
        "BASE_URL": "API root, https://api.fashn.ai by default",
        "MODEL_NAME": "the try-on model (tryon-v1.6)",
        "INPUTS": "default inputs: mode, garment_photo_type, moderation_level, seed, "
        "segmentation_free, output_format, return_base64, category ('auto')",
        "IMAGE_MODE": "how pictures are sent: base64 (default) or url (public https URLs)",
        "WEBHOOK_URL": "absolute URL of this alias's webhook view; unset: polling only",
        "WEBHOOK_TOKEN": "a secret added to WEBHOOK_URL and required on each callback",
        "MAX_CONCURRENT": "jobs at once for this alias (FASHN's default limit is 6)",
        "FIRST_POLL_AFTER": "seconds from submission to the first poll (the mode's typical time)",
    }

    @classmethod
    def option_errors(cls, options: dict[str, Any]) -> list[str]:
        problems = []
        mode = options.get("IMAGE_MODE", "base64")
        if mode not in IMAGE_MODES:
            problems.append(f"IMAGE_MODE is {mode!r}; choose one of {', '.join(IMAGE_MODES)}.")
        inputs = options.get("INPUTS") or {}
        if not isinstance(inputs, dict):
            problems.append("INPUTS must be a dict of FASHN inputs.")
        else:
            try:
                cls.checked_inputs(inputs)
            except PermanentError as error:
                problems.append(f"INPUTS: {error.message}")
        if options.get("WEBHOOK_URL") and not str(options["WEBHOOK_URL"]).startswith(
            ("https://", "http://")
        ):
            problems.append("WEBHOOK_URL must be an absolute http(s) URL.")
        return problems

    # Inputs --------------------------------------------------------------------------

    @staticmethod
    def checked_inputs(values: dict[str, Any]) -> dict[str, Any]:
        """The documented inputs among ``values``, checked; other keys are not FASHN's."""
        inputs: dict[str, Any] = {}
        for name, allowed in CHOICES.items():
            if values.get(name) is None:
                continue
            if values[name] not in allowed or (
                isinstance(values[name], int | float) and type(values[name]) is not type(allowed[0])
            ):
                raise PermanentError(
                    "invalid_input",
                    f"{name} must be one of {', '.join(map(str, allowed))}.",
                    provider_code=f"param:{name}",
                )
            inputs[name] = values[name]
        if values.get("seed") is not None:
            seed = values["seed"]
            if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
                raise PermanentError(
                    "invalid_input",
                    f"seed must be a whole number from 0 to {MAX_SEED}.",
                    provider_code="param:seed",
                )
            inputs["seed"] = seed
        return inputs

    def inputs_for(self, request: TryOnRequest) -> dict[str, Any]:
        """The alias's INPUTS, then the job's options, then the pictures and category."""
        inputs = {
            "category": CATEGORIES[request.category],
            **self.checked_inputs(self.option("INPUTS") or {}),
            **self.checked_inputs(request.options),
        }
        inputs["model_image"] = self.image_value(request.person)
        assert request.garment is not None
        inputs["garment_image"] = self.image_value(request.garment)
        return inputs

    def image_value(self, image: ImageInput) -> str:
        if self.option("IMAGE_MODE", "base64") == "url" and image.url.startswith("https://"):
            return image.url
        return _data_uri(image)

    def validate(self, request: TryOnRequest) -> None:
        super().validate(request)
        self.checked_inputs(request.options)

    def mode(self, request: TryOnRequest | None = None) -> str:
        options = request.options if request else {}
        return str(options.get("mode") or (self.option("INPUTS") or {}).get("mode") or "balanced")

    def first_poll_after(self) -> float:
        return float(self.option("FIRST_POLL_AFTER", TYPICAL_SECONDS.get(self.mode(), 8.0)))

    # Calling -------------------------------------------------------------------------

    def webhook_url(self, reference: str) -> str:
        """WEBHOOK_URL, with a token for this job when the alias has a WEBHOOK_TOKEN.

        The URL travels in a query parameter (HTTP libraries log those): it carries an HMAC
        of the job's reference with the secret, never the secret itself.
        """
        url = str(self.option("WEBHOOK_URL") or "")
        if url and self.option("WEBHOOK_TOKEN"):
            query = urlencode({"ref": reference, "token": self.webhook_token(reference)})
            url += ("&" if urlsplit(url).query else "?") + query
        return url

    def webhook_token(self, reference: str) -> str:
        secret = str(self.option("WEBHOOK_TOKEN") or "").encode()
        return hmac.new(secret, reference.encode(), hashlib.sha256).hexdigest()[:32]

    def submit(self, request: TryOnRequest) -> ProviderJob:
        self.validate(request)
        body = {
            "model_name": str(self.option("MODEL_NAME", MODEL_NAME)),
            "inputs": self.inputs_for(request),
        }
        reference = request.name or "django-tryon"
        params = (
            {"webhook_url": self.webhook_url(reference)} if self.option("WEBHOOK_URL") else None
        )
        response = self.call("POST", "/v1/run", json=body, params=params)
        if response.status_code >= 400:
            raise self.error_for(response)
        answer = self.parse_json(response)
        prediction_id = answer.get("id") if isinstance(answer, dict) else None
        if isinstance(answer, dict) and answer.get("error") and not prediction_id:
            raise PermanentError(
                "provider_error", provider_code=str(answer["error"])[:100], no_job_created=True
            )
        if not isinstance(prediction_id, str) or not prediction_id:
            raise TransientError("bad_response", provider_code="run_without_id")
        credits = self.estimate_credits(request)
        return ProviderJob(
            id=prediction_id,
            state=JobState.RUNNING,
            credits=credits,
            data={"credits": credits, "mode": self.mode(request)},
        )

    def error_for(self, response: requests.Response) -> ProviderError:
        """FASHN's error names first; the HTTP status where the body has none (a proxy's page)."""
        try:
            body = response.json()
        except ValueError:
            body = None
        name = body.get("error") if isinstance(body, dict) else None
        status = response.status_code
        error: ProviderError
        if not isinstance(name, str):
            error = super().error_for(response)
            # A gateway refused it (502/503) or it was refused outright: nothing was created.
            error.no_job_created = status < 500 or status in (502, 503)
            return error
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        match name:
            case "UnauthorizedAccess":
                error = AccountError("auth_failed", provider_code=name)
            case "OutOfCredits":
                error = AccountError("insufficient_credits", provider_code=name)
            case "RateLimitExceeded":
                error = TransientError("rate_limited", provider_code=name, retry_after=retry_after)
            case "ConcurrencyLimitExceeded":
                error = TransientError(
                    "rate_limited",
                    provider_code=name,
                    retry_after=retry_after if retry_after is not None else CONCURRENCY_WAIT,
                )
            case "BadRequest":
                error = PermanentError(
                    "invalid_input", self.error_message(response) or None, provider_code=name
                )
            case _:  # InternalServerError, NotFound, a name FASHN may add: the status decides
                error = super().error_for(response)
                error.provider_code = name[:100]
        # "API-level errors ... do not include an id": no prediction exists.
        error.no_job_created = True
        return error

    # Following a job -----------------------------------------------------------------

    def poll(self, job: ProviderJob) -> ProviderJob:
        return self.status_job(self.status_answer(job.id), job.id, job.data)

    def status_answer(self, prediction_id: str) -> dict[str, Any]:
        """``GET /v1/status/{id}``, as read; a prediction FASHN no longer tracks fails."""
        response = self.call("GET", f"/v1/status/{quote(prediction_id, safe='')}")
        if response.status_code == 404:
            raise PermanentError(
                "provider_error",
                "The try-on service no longer has this job.",
                provider_code="http_404",
            )
        status = self.json_or_error(response)
        if not isinstance(status, dict):
            raise TransientError("bad_response", provider_code="status_not_object")
        return status

    def status_job(
        self, status: dict[str, Any], job_id: str, data: dict[str, Any] | None = None
    ) -> ProviderJob:
        """A ``/v1/status`` answer as our job."""
        state = status.get("status")
        data = dict(data or {})
        job = ProviderJob(id=job_id, state=JobState.RUNNING, data=data)
        if state in _RUNNING:
            return job
        if state == "completed":
            output = status.get("output")
            first = output[0] if isinstance(output, list) and output else None
            if not isinstance(first, str) or not first:
                raise TransientError("bad_response", provider_code="no_output")
            job.state = JobState.SUCCEEDED
            if first.startswith("data:"):
                # The picture itself: not kept in the job's data; fetched again to store it.
                data["result_base64"] = True
            else:
                job.result_url = first
        elif state in ("failed", "time_out"):
            error = status.get("error")
            details = error if isinstance(error, dict) else {}
            data["error"] = {
                "name": str(details.get("name") or state)[:100],
                "message": str(details.get("message") or "")[:500],
            }
            job.state, job.error = (
                JobState.FAILED,
                runtime_error(error or {"name": "PollingTimeout"}),
            )
            job.credits = data["credits"] = 0  # failures are free
        elif state == "canceled":
            job.state, job.credits = JobState.CANCELED, 0
            data["credits"] = 0
        else:
            raise TransientError("bad_response", provider_code=f"status_{str(state)[:40]}")
        return job

    # Results -------------------------------------------------------------------------

    @contextmanager
    def open_result(self, job: ProviderJob, request: TryOnRequest) -> Iterator[IO[bytes]]:
        url = job.result_url or str(job.data.get("result_url") or "")
        if not url or job.data.get("result_base64"):
            url = self._fresh_output(job)
        if url.startswith("data:"):
            with decoded(url) as stream:
                yield stream
            return
        with self.download(url) as stream:
            yield stream

    def _fresh_output(self, job: ProviderJob) -> str:
        """``output[0]`` read again: a base64 output is never stored with the job."""
        status = self.status_answer(job.id)
        if status.get("status") != "completed":
            raise TransientError("download_failed", provider_code="not_completed")
        output = status.get("output")
        if not isinstance(output, list) or not output:
            raise TransientError("download_failed", provider_code="no_output")
        return str(output[0])

    # Account and webhooks ------------------------------------------------------------

    def credits_left(self) -> int | None:
        """``GET /v1/credits``: the total balance (subscription and on-demand)."""
        body = self.json_or_error(self.call("GET", "/v1/credits"))
        credits = body.get("credits") if isinstance(body, dict) else None
        total = credits.get("total") if isinstance(credits, dict) else None
        if not isinstance(total, int) or isinstance(total, bool):
            raise TransientError("bad_response", provider_code="credits")
        return total

    def account_summary(self) -> AccountSummary:
        return AccountSummary(credits_left=self.credits_left())

    def check(self) -> CheckResult:
        """``GET /v1/credits`` proves the key and tells the balance, free."""
        try:
            total = self.credits_left()
        except AccountError as error:
            return CheckResult(False, f"FASHN refused the account: {error.message}")
        except ProviderError as error:
            return CheckResult(False, f"FASHN is unreachable at {self.base_url}: {error.message}")
        if total == 0:
            return CheckResult(False, f"FASHN at {self.base_url} accepted the key; 0 credits left.")
        return CheckResult(
            True, f"FASHN at {self.base_url} accepted the API key; {total} credits left."
        )

    def parse_webhook(self, body: bytes, headers: dict[str, str]) -> WebhookEvent:
        """An unsigned callback: only its prediction id is read, as a hint to poll now.

        With WEBHOOK_TOKEN set, the callback URL must carry a job's ``ref`` and its token
        (the view passes the query string as the ``x-tryon-query`` header); without
        WEBHOOK_URL, callbacks are refused.
        """
        if not self.option("WEBHOOK_URL"):
            raise WebhookRejected("webhooks_not_configured")
        if self.option("WEBHOOK_TOKEN"):
            lower = {key.lower(): value for key, value in headers.items()}
            query = parse_qs(lower.get(WEBHOOK_QUERY_HEADER, ""))
            reference, given = query.get("ref", [""])[0], query.get("token", [""])[0]
            expected = self.webhook_token(reference)
            if not reference or not hmac.compare_digest(expected.encode(), given.encode()):
                raise WebhookRejected("bad_token")
        try:
            payload = json.loads(body)
            prediction_id = payload["id"]
        except (ValueError, KeyError, TypeError):
            raise WebhookRejected("malformed") from None
        if not isinstance(prediction_id, str) or not prediction_id:
            raise WebhookRejected("malformed")
        # No ``job``: the body is not authenticated, so the pipeline reads the status itself.
        return WebhookEvent(provider_job_id=prediction_id[:200], type="prediction.callback")


@contextmanager
def decoded(uri: str, *, max_bytes: int | None = None) -> Iterator[IO[bytes]]:
    """A ``data:image/...;base64,`` output as a checked, capped, spooled file."""
    max_bytes = max_bytes or tryon_settings.MAX_RESULT_BYTES
    header, comma, encoded = uri.partition(",")
    if not comma or not header.endswith(";base64"):
        raise PermanentError("result_not_image", provider_code="data_uri")
    if len(encoded) * 3 // 4 > max_bytes + 3:
        raise PermanentError("result_too_large", provider_code="base64")
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        try:
            spool.write(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            raise PermanentError("result_not_image", provider_code="base64") from None
        if spool.tell() > max_bytes:
            raise PermanentError("result_too_large", provider_code="base64")
        spool.seek(0)
        if sniff_image_format(spool.read(32)) is None:
            raise PermanentError("result_not_image")
        spool.seek(0)
        yield spool
