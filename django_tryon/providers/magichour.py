"""Magic Hour AI Clothes Changer (https://docs.magichour.ai).

One try-on is: upload both images (``POST /v1/files/upload-urls``, then ``PUT`` the bytes to
the presigned URL), ``POST /v1/ai-clothes-changer``, poll ``GET /v1/image-projects/{id}``
until ``complete``, stream ``downloads[0].url`` (it expires after 24 h) and, if the alias
asks, ``DELETE`` the project. Signed webhooks (``image.*`` events) shortcut the polling.

Every request body follows the official OpenAPI spec (``reference/magichour-openapi.json``);
the emulator in ``django_tryon.testing`` validates each one against it.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import PurePosixPath
from typing import IO, Any
from urllib.parse import quote, urlsplit

from PIL import Image

from .base import (
    AccountError,
    AccountSummary,
    CheckResult,
    ErrorCode,
    ImageInput,
    JobState,
    PermanentError,
    ProviderError,
    ProviderJob,
    TransientError,
    TryOnRequest,
    WebhookEvent,
    WebhookRejected,
)
from .http import DownloadError, HttpProvider

# Our category -> ``assets.garment_type``. ``dresses`` is deprecated upstream: never sent.
GARMENT_TYPES = {
    "upper_body": "upper_body",
    "lower_body": "lower_body",
    "full_body": "entire_outfit",
}

# Image extensions ``/v1/files/upload-urls`` accepts; anything else is converted to PNG first.
UPLOAD_EXTENSIONS = frozenset(
    {"png", "jpg", "jpeg", "jfif", "heic", "heif", "webp", "avif", "jp2", "tiff", "tif", "bmp"}
)

# Project statuses (``draft`` is documented as unused: treated as still in progress).
_RUNNING = {"draft", "queued", "rendering"}

# Render errors (``error.code``) -> our codes. Only ``no_source_face`` is documented; other
# codes are classified by keyword so that a new code still lands in a sensible kind.
RENDER_ERRORS = {"no_source_face": ErrorCode.NO_PERSON}
_KEYWORDS = (
    (("face", "person", "human", "body", "pose"), ErrorCode.NO_PERSON),
    (
        ("nsfw", "moderat", "harm", "policy", "unsafe", "inappropriate", "prohibit"),
        ErrorCode.HARMFUL_CONTENT,
    ),
    (
        ("invalid", "unsupported", "format", "resolution", "corrupt", "small", "large"),
        ErrorCode.INVALID_INPUT,
    ),
)

SIGNATURE_HEADER = "magic-hour-event-signature"
TIMESTAMP_HEADER = "magic-hour-event-timestamp"
TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")
WEBHOOK_EVENTS = frozenset({"image.started", "image.completed", "image.errored"})


def render_error(code: str) -> ProviderError:
    """A failed project's ``error`` as one of our permanent errors (shown to the user)."""
    ours = RENDER_ERRORS.get(code)
    if ours is None:
        lowered = code.lower()
        matches = (ours for words, ours in _KEYWORDS if any(word in lowered for word in words))
        ours = next(matches, ErrorCode.PROVIDER_ERROR)
    return PermanentError(ours, provider_code=code or "error")


class MagicHourProvider(HttpProvider):
    display_name = "Magic Hour AI Clothes Changer"
    default_base_url = "https://api.magichour.ai"
    categories = frozenset(GARMENT_TYPES)
    # The API has no way to cancel an image project (only GET and DELETE exist).
    supports_cancel = False
    default_cost = 25  # "Each photo costs 25 credits."
    default_timeout = 30.0
    options_schema = {
        "API_KEY": "the API key (Developer Hub)",
        "BASE_URL": "API root, https://api.magichour.ai by default",
        "WEBHOOK_SECRET": "secret of the webhook endpoint; unset: webhooks are refused",
        "WEBHOOK_TOLERANCE": "seconds a webhook's timestamp may differ from now (300)",
        "DELETE_AFTER_DOWNLOAD": "delete the project at Magic Hour once the result is stored",
        "MAX_CONCURRENT": "jobs at once for this alias (plan limit: Creator 3, Pro 5)",
        "SEND_URLS": "pass public https input URLs as is instead of uploading (True)",
        "FIRST_POLL_AFTER": "seconds from submission to the first poll (8)",
    }

    def first_poll_after(self) -> float:
        # The clothes changer's median is 13 s (Magic Hour's processing times): polling
        # sooner mostly sees "queued". Webhooks, where set up, answer earlier anyway.
        return float(self.option("FIRST_POLL_AFTER", 8.0))

    # Submitting -------------------------------------------------------------------------

    def submit(self, request: TryOnRequest) -> ProviderJob:
        self.validate(request)  # cheap, and refuses prompt-only garments whoever calls
        assert request.garment is not None
        try:
            person = self.asset_path(request.person)
            garment = self.asset_path(request.garment)
        except ProviderError as upload_error:
            upload_error.no_job_created = True  # nothing was created yet, whatever went wrong
            raise
        body = {
            "name": request.name or "django-tryon",
            "assets": {
                "person_file_path": person,
                "garment_file_path": garment,
                "garment_type": GARMENT_TYPES[request.category],
            },
        }
        response = self.call("POST", "/v1/ai-clothes-changer", json=body)
        status = response.status_code
        if status >= 400:
            refused = self.error_for(response)
            # Refused outright (4xx) or by the gateway (502/503): no project exists. A 500 or a
            # timeout leaves it unknown, so those keep no_job_created False.
            refused.no_job_created = status < 500 or status in (502, 503)
            raise refused
        project = self.parse_json(response)
        job_id = project.get("id") if isinstance(project, dict) else None
        if not isinstance(job_id, str) or not job_id:
            raise TransientError(ErrorCode.BAD_RESPONSE, provider_code="create_without_id")
        credits = project.get("credits_charged")
        if not isinstance(credits, int) or isinstance(credits, bool):
            credits = self.estimate_credits(request)  # charged on creation, as documented
        return ProviderJob(
            id=job_id, state=JobState.RUNNING, credits=credits, data={"credits": credits}
        )

    def asset_path(self, image: ImageInput) -> str:
        """What goes in ``assets.*_file_path``: a usable URL or path as is, else an upload."""
        if image.url.startswith("api-assets/"):
            return image.url
        if image.url.startswith("https://") and self.option("SEND_URLS", True):
            # Magic Hour reads the format from the URL's extension: without one, upload.
            suffix = PurePosixPath(urlsplit(image.url).path).suffix.lstrip(".").lower()
            if suffix in UPLOAD_EXTENSIONS:
                return image.url
        content, extension = uploadable(image)
        response = self.call(
            "POST",
            "/v1/files/upload-urls",
            json={"items": [{"type": "image", "extension": extension}]},
        )
        body = self.json_or_error(response)
        try:
            item = body["items"][0]
            upload_url, file_path = str(item["upload_url"]), str(item["file_path"])
        except (KeyError, IndexError, TypeError):
            raise TransientError(ErrorCode.BAD_RESPONSE, provider_code="upload_urls") from None
        self.check_url(upload_url)
        # A presigned storage URL: our API key must not go there.
        put = self.call("PUT", upload_url, auth=False, data=content)
        if put.status_code >= 400:
            # Storage refusals (an expired URL's 403 included) are not about our account.
            raise TransientError(
                ErrorCode.PROVIDER_UNAVAILABLE, provider_code=f"upload_http_{put.status_code}"
            )
        return file_path

    # Following a job --------------------------------------------------------------------

    def poll(self, job: ProviderJob) -> ProviderJob:
        return self.project_job(self.get_project(job.id), job.data)

    def get_project(self, project_id: str) -> dict[str, Any]:
        response = self.call("GET", f"/v1/image-projects/{quote(project_id, safe='')}")
        if response.status_code == 404:
            raise PermanentError(
                ErrorCode.PROVIDER_ERROR,
                "The try-on service no longer has this job.",
                provider_code="http_404",
            )
        project = self.json_or_error(response)
        if not isinstance(project, dict):
            raise TransientError(ErrorCode.BAD_RESPONSE, provider_code="project_not_object")
        return project

    def project_job(
        self, project: dict[str, Any], data: dict[str, Any] | None = None
    ) -> ProviderJob:
        """A project (as ``GET /v1/image-projects/{id}`` or a webhook gives it) as our job."""
        status = project.get("status")
        job_id = str(project.get("id") or "")
        data = dict(data or {})
        credits = project.get("credits_charged")
        if isinstance(credits, int) and not isinstance(credits, bool):
            data["credits"] = credits  # restated on each poll: 0 once Magic Hour refunds
        else:
            credits = None
        job = ProviderJob(id=job_id, state=JobState.RUNNING, credits=credits, data=data)
        if status in _RUNNING:
            return job
        if status == "complete":
            url = download_url(project)
            if not url:
                # Complete but nothing to fetch: bounded retries (the list may fill in), then
                # the job fails (or fails over) with "an answer we could not read".
                raise TransientError(ErrorCode.BAD_RESPONSE, provider_code="no_downloads")
            job.state, job.result_url = JobState.SUCCEEDED, url
        elif status == "error":
            details = project.get("error")
            details = details if isinstance(details, dict) else {}
            code, message = str(details.get("code") or ""), str(details.get("message") or "")
            # The provider's own words, kept for support; the user sees ours.
            data["error"] = {"code": code, "message": message[:500]}
            job.state, job.error = JobState.FAILED, render_error(code)
        elif status == "canceled":
            job.state = JobState.CANCELED
        else:
            raise TransientError(ErrorCode.BAD_RESPONSE, provider_code=f"status_{str(status)[:40]}")
        return job

    # Results -----------------------------------------------------------------------------

    @contextmanager
    def open_result(self, job: ProviderJob, request: TryOnRequest) -> Iterator[IO[bytes]]:
        url = job.result_url or str(job.data.get("result_url") or "")
        with ExitStack() as stack:
            try:
                stream = stack.enter_context(self.download(url or self.fresh_url(job)))
            except DownloadError as error:
                if error.status not in (403, 404):
                    raise
                # Download URLs expire (24 h): the project hands out a fresh one.
                stream = stack.enter_context(self.download(self.fresh_url(job)))
            yield stream

    def fresh_url(self, job: ProviderJob) -> str:
        fresh = self.project_job(self.get_project(job.id), job.data)
        if fresh.state != JobState.SUCCEEDED:
            raise TransientError(ErrorCode.DOWNLOAD_FAILED, provider_code=f"project_{fresh.state}")
        return fresh.result_url

    def discard(self, job: ProviderJob) -> None:
        response = self.call("DELETE", f"/v1/image-projects/{quote(job.id, safe='')}")
        if response.status_code >= 400 and response.status_code != 404:  # 404: already gone
            raise self.error_for(response)

    # Credentials and webhooks ----------------------------------------------------------------

    def account_summary(self) -> AccountSummary:
        """``GET /v1/account``: credits left and the plan (``tier``), free of charge."""
        account = self.json_or_error(self.call("GET", "/v1/account"))
        credits = account.get("credits") if isinstance(account, dict) else None
        if not isinstance(credits, int) or isinstance(credits, bool):
            raise TransientError("bad_response", provider_code="account")
        return AccountSummary(credits_left=credits, plan=str(account.get("tier") or ""))

    def check(self) -> CheckResult:
        """``GET /v1/account`` proves the key and tells credits left and plan, spending nothing."""
        try:
            account = self.account_summary()
        except AccountError as refused:
            status = refused.provider_code.removeprefix("http_")
            return CheckResult(False, f"Magic Hour answered HTTP {status}: {refused.message}")
        except ProviderError as unreachable:
            return CheckResult(
                False, f"Magic Hour is unreachable at {self.base_url}: {unreachable.message}"
            )
        left = f"{account.credits_left} credits left on the {account.plan or 'unknown'} plan"
        if (account.credits_left or 0) < self.estimate_credits():
            return CheckResult(
                False, f"Magic Hour at {self.base_url} accepted the API key, but {left}."
            )
        return CheckResult(True, f"Magic Hour at {self.base_url} accepted the API key; {left}.")

    def parse_webhook(self, body: bytes, headers: dict[str, str]) -> WebhookEvent:
        secret = str(self.option("WEBHOOK_SECRET") or "")
        if not secret:
            raise WebhookRejected(ErrorCode.WEBHOOKS_NOT_CONFIGURED)
        lower = {key.lower(): value for key, value in headers.items()}
        signature = lower.get(SIGNATURE_HEADER, "").strip()
        timestamp = lower.get(TIMESTAMP_HEADER, "").strip()
        if not signature or not timestamp:
            raise WebhookRejected(ErrorCode.UNSIGNED)
        verify_signature(secret, timestamp, body, signature)
        tolerance = float(self.option("WEBHOOK_TOLERANCE", 300))
        if abs(time.time() - int(timestamp)) > tolerance:  # verified: at most 12 ASCII digits
            raise WebhookRejected(ErrorCode.STALE)
        try:
            event = json.loads(body)
            kind, payload = str(event["type"]), event.get("payload")
        except (ValueError, KeyError, TypeError):
            raise WebhookRejected(ErrorCode.MALFORMED) from None
        if kind not in WEBHOOK_EVENTS or not isinstance(payload, dict) or not payload.get("id"):
            return WebhookEvent(provider_job_id="", type=kind)  # authentic, not ours to act on
        try:
            job: ProviderJob | None = self.project_job(payload)
        except ProviderError:
            job = None  # the pipeline re-reads the project anyway
        return WebhookEvent(provider_job_id=str(payload["id"]), type=kind, job=job)


def verify_signature(secret: str, timestamp: str, body: bytes, signature: str) -> None:
    """Hex HMAC-SHA256 of ``"{timestamp}.{raw body}"``, compared in constant time."""
    # Unix seconds: ASCII digits, few enough for a float (a 400-digit one overflowed).
    if not TIMESTAMP_RE.fullmatch(timestamp):
        raise WebhookRejected(ErrorCode.BAD_TIMESTAMP)
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.lower().encode("utf-8", "replace")):
        raise WebhookRejected(ErrorCode.BAD_SIGNATURE)


def download_url(project: dict[str, Any]) -> str:
    downloads = project.get("downloads")
    if isinstance(downloads, list) and downloads and isinstance(downloads[0], dict):
        url = downloads[0].get("url")
        if isinstance(url, str):
            return url
    return ""


def uploadable(image: ImageInput) -> tuple[bytes, str]:
    """The image's bytes and an extension Magic Hour accepts, converting to PNG if needed."""
    if image.extension in UPLOAD_EXTENSIONS:
        return image.content, image.extension
    try:
        with Image.open(io.BytesIO(image.content)) as source:
            out = io.BytesIO()
            source.convert("RGBA" if "A" in source.getbands() else "RGB").save(out, "PNG")
    except (OSError, ValueError):
        raise PermanentError(ErrorCode.INVALID_INPUT, provider_code="unconvertible_image") from None
    return out.getvalue(), "png"


__all__ = ["GARMENT_TYPES", "MagicHourProvider", "render_error", "verify_signature"]
