"""What every provider speaks: normalised requests, job states, results and errors.

A provider module maps its service's vocabulary onto these types and nothing else leaks
out of ``django_tryon/providers/``: the pipeline only ever sees ``ProviderJob`` and the
three kinds of ``ProviderError``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any, ClassVar

from django.utils.translation import gettext_lazy as _

from ..conf import tryon_settings


class ErrorKind(enum.StrEnum):
    TRANSIENT = "transient"  # retried with backoff: 5xx, 429, timeouts, resets
    PERMANENT = "permanent"  # the input is at fault: shown to the user, never retried
    ACCOUNT = "account"  # key or credits: the alias pauses, the admin is told


class ProviderError(Exception):
    """A failure reported by (or on the way to) a provider, in normalised form.

    ``code`` is one of our stable error codes (see ``MESSAGES``); ``message`` is plain words
    for the person looking at the job; ``provider_code`` is the provider's own code, kept
    for support. Messages never contain credentials.
    """

    kind: ClassVar[ErrorKind] = ErrorKind.TRANSIENT

    def __init__(
        self,
        code: str,
        message: Any = None,  # str or lazy translation
        *,
        provider_code: str = "",
        retry_after: float | None = None,
        no_job_created: bool = False,
    ) -> None:
        self.code = code
        self.message = str(message or MESSAGES.get(code, MESSAGES["provider_error"]))
        self.provider_code = str(provider_code)
        self.retry_after = retry_after
        # True when the provider certainly created no job (safe to submit again).
        self.no_job_created = no_job_created
        super().__init__(f"{code}: {self.message}")


class TransientError(ProviderError):
    kind = ErrorKind.TRANSIENT


class PermanentError(ProviderError):
    kind = ErrorKind.PERMANENT


class AccountError(ProviderError):
    kind = ErrorKind.ACCOUNT


# Our stable error codes and what they mean to a person (merchant or shopper).
MESSAGES: dict[str, Any] = {
    "provider_error": _("The try-on service reported an error."),
    "rate_limited": _("The try-on service is busy; we will try again shortly."),
    "provider_unavailable": _("The try-on service is temporarily unavailable; we will try again."),
    "timeout": _("The try-on service took too long to answer; we will try again."),
    "connection_error": _("We could not reach the try-on service; we will try again."),
    "bad_response": _("The try-on service sent an answer we could not read."),
    "no_person": _(
        "We couldn't find a person in this photo. Please use a clear photo of one person, "
        "facing the camera, with the upper body visible."
    ),
    "harmful_content": _("This picture can't be processed because it may break content rules."),
    "invalid_input": _("The try-on service could not use these images."),
    "unsupported_category": _("This garment category is not supported by the chosen service."),
    "auth_failed": _("The try-on service refused our credentials. An administrator has been told."),
    "insufficient_credits": _(
        "The try-on account has run out of credits. An administrator has been told."
    ),
    "download_failed": _("We could not fetch the finished picture from the try-on service."),
    "result_not_image": _("The try-on service returned something that is not a picture."),
    "result_too_large": _("The try-on service returned a picture that is too large."),
    "url_not_allowed": _("The try-on service pointed us to an address we do not follow."),
    "deadline_exceeded": _("This try-on took too long and was stopped."),
    "canceled": _("This try-on was canceled."),
    "storage_error": _("We could not save the picture; we will try again."),
    "provider_paused": _("Try-on isn't available right now. Please try again a little later."),
    "too_many_garments": _(
        "The try-on service dresses the person in fewer garments at once; "
        "try the garments one after another."
    ),
}


class JobState(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


@dataclass
class ImageInput:
    """An image handed to a provider: its bytes, detected format and a stable digest."""

    content: bytes
    format: str  # Pillow name: "JPEG", "PNG", "WEBP"
    digest: str = ""
    url: str = ""  # a public https URL for it, where the storage has one

    @property
    def extension(self) -> str:
        return {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}.get(self.format, self.format.lower())

    @property
    def content_type(self) -> str:
        return {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}.get(
            self.format, "application/octet-stream"
        )


@dataclass
class GarmentInput:
    """One garment of an outfit: its picture, our category for it, and its description."""

    image: ImageInput
    category: str
    description: str = ""


@dataclass
class TryOnRequest:
    """Everything a provider needs to create one try-on.

    ``garment``, ``category`` and ``description`` are the first (or only) garment;
    ``extra_garments`` the others to put on in the same call, for providers whose
    ``garment_limit`` is above 1 (see ``BaseProvider.garment_batches``).
    """

    person: ImageInput
    category: str
    garment: ImageInput | None = None
    description: str = ""
    prompt: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    name: str = ""  # our reference, for the provider's dashboard
    attempt: int = 1  # which submission of this job this is (1 on the first)
    extra_garments: list[GarmentInput] = field(default_factory=list)

    @property
    def garments(self) -> list[GarmentInput]:
        """Every garment of this call, the first one included (none in prompt mode)."""
        first = (
            [GarmentInput(self.garment, self.category, self.description)]
            if self.garment is not None
            else []
        )
        return [*first, *self.extra_garments]


@dataclass
class ProviderJob:
    """A provider's job as last seen. ``data`` is persisted on the TryOnJob between steps."""

    id: str
    state: JobState
    credits: int | None = None
    result_url: str = ""
    error: ProviderError | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def is_terminal(self) -> bool:
        return self.state in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELED)


@dataclass
class CheckResult:
    ok: bool
    message: str


@dataclass
class WebhookEvent:
    """A verified provider callback, reduced to what the pipeline acts on.

    An empty ``provider_job_id`` means "authentic, but nothing for us" (e.g. an event type
    we don't use): it is acknowledged and ignored.
    """

    provider_job_id: str
    type: str  # provider's event name
    job: ProviderJob | None = None


class WebhookRejected(Exception):
    """A callback that is not provably from the provider: unsigned, forged, stale, malformed.

    ``reason`` is a short stable code for the response and the log; it never echoes secrets.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class BaseProvider:
    """Base of every provider backend.

    Subclasses set the class attributes, then implement ``submit``, ``poll`` and
    ``open_result``; the rest has sensible defaults. Instances are cheap and built per
    alias with that alias's options (``TRYON["PROVIDERS"][alias]`` minus ``BACKEND``).
    """

    #: Human name, for the admin.
    display_name: ClassVar[str] = "Provider"
    #: Our categories this provider can do.
    categories: ClassVar[frozenset[str]] = frozenset({"upper_body", "lower_body", "full_body"})
    #: Whether a garment may be described by a prompt instead of an image.
    supports_prompt: ClassVar[bool] = False
    #: Whether a job can be stopped at the provider once submitted.
    supports_cancel: ClassVar[bool] = False
    #: Option names understood (beyond the common ones), for the system checks.
    options_schema: ClassVar[dict[str, Any]] = {}
    #: Whether the alias needs an API_KEY option.
    requires_api_key: ClassVar[bool] = True
    #: Credits one job costs, as documented by the provider (the COST option overrides it).
    default_cost: ClassVar[int] = 0
    #: The longest one call may take: workers must be allowed longer (see checks).
    default_timeout: ClassVar[float] = 30.0
    #: The most garments one call can put on the person. Above 1, an outfit is one call;
    #: otherwise the pipeline chains calls, each on the previous call's result.
    max_garments: ClassVar[int] = 1

    def __init__(self, alias: str, **options: Any) -> None:
        self.alias = alias
        self.options = options

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)

    @property
    def timeout(self) -> float:
        return float(self.option("TIMEOUT", self.default_timeout))

    def first_poll_after(self) -> float:
        """Seconds from submission to the first poll: about the provider's typical latency.

        0 makes the submitting worker poll at once (for providers that are usually done).
        """
        return float(self.option("FIRST_POLL_AFTER", tryon_settings.POLL_INTERVAL))

    @property
    def garment_limit(self) -> int:
        """Garments per call for this alias: ``MAX_GARMENTS``, never above ``max_garments``."""
        wanted = int(self.option("MAX_GARMENTS", self.max_garments))
        return max(1, min(self.max_garments, wanted))

    @property
    def supports_multiple_garments(self) -> bool:
        return self.garment_limit > 1

    def garment_batches(self, garments: list[GarmentInput]) -> list[list[GarmentInput]]:
        """The calls an outfit takes here, in order: one call per batch, each batch worn
        over the previous call's result (a provider without the capability: one each)."""
        size = self.garment_limit
        return [garments[i : i + size] for i in range(0, len(garments), size)]

    # What a job will cost, before anything is sent.
    def estimate_credits(self, request: TryOnRequest | None = None) -> int:
        return int(self.option("COST", self.default_cost))

    def validate(self, request: TryOnRequest) -> None:
        """Refuse, before any credit is spent, what this provider can't do."""
        categories = {request.category, *(g.category for g in request.extra_garments)}
        if not categories <= self.categories:
            raise PermanentError("unsupported_category")
        if len(request.garments) > self.garment_limit:
            raise PermanentError(
                "too_many_garments", provider_code=f"garments:{len(request.garments)}"
            )
        if request.garment is None and not (request.prompt and self.supports_prompt):
            raise PermanentError("invalid_input", _("This service needs a picture of the garment."))

    def submit(self, request: TryOnRequest) -> ProviderJob:
        """Create the job at the provider. Called at most once per accepted job."""
        raise NotImplementedError

    def poll(self, job: ProviderJob) -> ProviderJob:
        """The job's current state at the provider."""
        raise NotImplementedError

    @contextmanager
    def open_result(self, job: ProviderJob, request: TryOnRequest) -> Iterator[IO[bytes]]:
        """The finished image as a file object, streamed (never read whole into memory)."""
        raise NotImplementedError
        yield  # pragma: no cover

    def cancel(self, job: ProviderJob) -> bool:
        """Ask the provider to stop the job; True when it will."""
        return False

    def discard(self, job: ProviderJob) -> None:
        """Delete the provider's copy once ours is stored (where the alias asks for it)."""

    def check(self) -> CheckResult:
        """Verify the credentials as cheaply as possible, spending no credit."""
        return CheckResult(True, "Nothing to check.")

    def extra_results(self, job: ProviderJob) -> list[str]:
        """Extra images to store with the result, by ``TryOnJob`` field name (e.g. ``"mask"``)."""
        return []

    @contextmanager
    def open_extra(self, job: ProviderJob, name: str) -> Iterator[IO[bytes]]:
        """One of ``extra_results``, streamed like ``open_result``."""
        raise NotImplementedError
        yield  # pragma: no cover

    @classmethod
    def option_errors(cls, options: dict[str, Any]) -> list[str]:
        """Problems with an alias's options, reported by the system checks (``tryon.E010``)."""
        return []

    def parse_webhook(self, body: bytes, headers: dict[str, str]) -> WebhookEvent:
        """Verify and read a callback; raise ``WebhookRejected`` unless it is authentic."""
        raise WebhookRejected("webhooks_unsupported")
