"""The sandbox: an offline provider with a real provider's lifecycle.

It needs no key and no network. A job takes ``LATENCY`` seconds, then yields a composite
made with Pillow (the garment laid over the person) that is clearly labelled as a preview.
Everything about a job is encoded in its id, so any worker on any host can poll it.

Failing on purpose, deterministically: the ``OUTCOME`` option of the alias, the
``outcome`` request option, or a marker like ``[sandbox:no_person]`` in the garment's
description or prompt choose one of ``OUTCOMES``.
"""

from __future__ import annotations

import io
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from PIL import Image, ImageDraw, ImageFont, ImageOps

from .base import (
    AccountError,
    BaseProvider,
    CheckResult,
    ErrorCode,
    JobState,
    PermanentError,
    ProviderJob,
    TransientError,
    TryOnRequest,
)

OUTCOMES = {
    "succeed": "the job succeeds after LATENCY seconds",
    "transient_once": "the first submission is rate-limited, the next one succeeds",
    "transient": "every submission is rate-limited (Retry-After 1 s)",
    "unavailable": "every submission meets a 503",
    "account": "submission is refused: out of credits",
    "auth": "submission is refused: bad API key",
    "no_person": "the job fails: no person found in the photo",
    "harmful": "the job fails: harmful content",
    "never": "the job never finishes (for deadlines)",
}
_MARKER = re.compile(r"\[sandbox:(\w+)\]")
_ID = re.compile(r"^sbx-(\d+)-(\d+)-(\w+)-[\w-]+$")

# Where each category sits on the person, as (centre y, width) fractions of the photo.
_PLACEMENT = {"upper_body": (0.52, 0.50), "lower_body": (0.80, 0.42), "full_body": (0.62, 0.55)}


class SandboxProvider(BaseProvider):
    display_name = "Sandbox (offline preview)"
    supports_prompt = True
    supports_cancel = True
    requires_api_key = False
    default_cost = 1
    default_timeout = 5.0
    options_schema = {
        "LATENCY": "seconds a job takes (3)",
        "OUTCOME": "what every job of this alias does: one of OUTCOMES",
    }
    max_garments = 4  # an outfit is composited in one picture, each garment in its place

    def first_poll_after(self) -> float:
        return float(self.option("LATENCY", 3.0))

    def outcome_for(self, request: TryOnRequest) -> str:
        outcome = request.options.get("outcome") or self.option("OUTCOME", "succeed")
        marker = _MARKER.search(f"{request.description} {request.prompt}")
        if marker:
            outcome = marker.group(1)
        if outcome not in OUTCOMES:
            raise PermanentError(ErrorCode.INVALID_INPUT, f"Unknown sandbox outcome {outcome!r}.")
        return outcome

    def validate(self, request: TryOnRequest) -> None:
        super().validate(request)
        self.outcome_for(request)

    def submit(self, request: TryOnRequest) -> ProviderJob:
        outcome = self.outcome_for(request)
        if outcome == "transient" or (outcome == "transient_once" and request.attempt <= 1):
            raise TransientError(
                ErrorCode.RATE_LIMITED, provider_code="429", retry_after=1, no_job_created=True
            )
        if outcome == "unavailable":
            raise TransientError(
                ErrorCode.PROVIDER_UNAVAILABLE, provider_code="503", no_job_created=True
            )
        if outcome == "account":
            raise AccountError(
                ErrorCode.INSUFFICIENT_CREDITS, provider_code="402", no_job_created=True
            )
        if outcome == "auth":
            raise AccountError(ErrorCode.AUTH_FAILED, provider_code="401", no_job_created=True)
        latency_ms = int(float(self.option("LATENCY", 3.0)) * 1000)
        job_id = f"sbx-{int(time.time() * 1000)}-{latency_ms}-{outcome}-{secrets.token_hex(6)}"
        return ProviderJob(
            id=job_id, state=JobState.RUNNING, credits=self.estimate_credits(request)
        )

    def poll(self, job: ProviderJob) -> ProviderJob:
        match = _ID.match(job.id)
        if not match:
            return ProviderJob(
                id=job.id, state=JobState.FAILED, error=PermanentError(ErrorCode.BAD_RESPONSE)
            )
        started_ms, latency_ms, outcome = int(match[1]), int(match[2]), match[3]
        if job.data.get("canceled"):
            return ProviderJob(id=job.id, state=JobState.CANCELED, credits=0, data=job.data)
        if outcome == "never" or time.time() * 1000 < started_ms + latency_ms:
            return ProviderJob(id=job.id, state=JobState.RUNNING, data=job.data)
        if outcome == "no_person":
            error = PermanentError(ErrorCode.NO_PERSON, provider_code="no_source_face")
            return ProviderJob(id=job.id, state=JobState.FAILED, credits=0, error=error)
        if outcome == "harmful":
            error = PermanentError(ErrorCode.HARMFUL_CONTENT, provider_code="harmful")
            return ProviderJob(id=job.id, state=JobState.FAILED, credits=0, error=error)
        return ProviderJob(id=job.id, state=JobState.SUCCEEDED, result_url="sandbox:" + job.id)

    def cancel(self, job: ProviderJob) -> bool:
        job.data["canceled"] = True
        return True

    @contextmanager
    def open_result(self, job: ProviderJob, request: TryOnRequest) -> Iterator[IO[bytes]]:
        yield io.BytesIO(render_preview(request))

    def check(self) -> CheckResult:
        return CheckResult(True, "The sandbox needs no credentials.")


def _open(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    return ImageOps.exif_transpose(image).convert("RGB")


def _cut_out(garment: Image.Image) -> Image.Image:
    """The garment with its (near-white) background made transparent."""
    rgba = garment.convert("RGBA")
    gray = garment.convert("L")
    alpha = gray.point(lambda v: 0 if v > 235 else 235)
    rgba.putalpha(alpha)
    return rgba


def render_preview(request: TryOnRequest, *, label: str = "PREVIEW · sandbox try-on") -> bytes:
    """A visibly labelled composite of the garment over the person, as JPEG bytes."""
    person = _open(request.person.content)
    person.thumbnail((1024, 1024))
    canvas = person.copy()
    width, height = canvas.size
    for item in request.garments:
        centre_y, frac = _PLACEMENT.get(item.category, _PLACEMENT["upper_body"])
        garment = _cut_out(_open(item.image.content))
        scale = (width * frac) / garment.width
        garment = garment.resize(
            (max(1, int(garment.width * scale)), max(1, int(garment.height * scale)))
        )
        x = (width - garment.width) // 2
        y = max(0, min(height - garment.height, int(height * centre_y - garment.height / 2)))
        canvas.paste(garment, (x, y), garment)
    draw = ImageDraw.Draw(canvas)
    font = _font(max(14, width // 28))
    if request.prompt and request.garment is None:
        text = f"“{request.prompt[:80]}”"
        draw.rectangle((0, height - font.size * 2, width, height), fill=(20, 20, 20))
        draw.text((10, height - int(font.size * 1.6)), text, fill=(255, 255, 255), font=font)
    band = int(font.size * 1.8)
    draw.rectangle((0, 0, width, band), fill=(200, 30, 90))
    draw.text((10, int(font.size * 0.4)), label, fill=(255, 255, 255), font=font)
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=90)
    return out.getvalue()


def _font(size: int) -> Any:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has no sized default font
        return ImageFont.load_default()
