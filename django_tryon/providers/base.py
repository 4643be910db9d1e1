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
from ..errors import (  # the error vocabulary, importable from here as before
    MESSAGES,
    AccountError,
    ErrorCode,
    ErrorKind,
    PermanentError,
    ProviderError,
    ResubmitError,
    TransientError,
    WebhookRejected,
)

__all__ = [
    "MESSAGES",
    "AccountError",
    "BaseProvider",
    "CheckResult",
    "ErrorCode",
    "ErrorKind",
    "GarmentInput",
    "ImageInput",
    "JobState",
    "PermanentError",
    "ProviderError",
    "ProviderJob",
    "ResubmitError",
    "TransientError",
    "TryOnRequest",
    "WebhookEvent",
    "WebhookRejected",
]


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


@dataclass(frozen=True)
class AccountSummary:
    """What a provider tells of the account, for the admin: credits left and the plan."""

    credits_left: int | None
    plan: str = ""


@dataclass
class WebhookEvent:
    """A verified provider callback, reduced to what the pipeline acts on.

    An empty ``provider_job_id`` means "authentic, but nothing for us" (e.g. an event type
    we don't use): it is acknowledged and ignored.
    """

    provider_job_id: str
    type: str  # provider's event name
    job: ProviderJob | None = None


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
    #: Options this class adds, each with a one-line meaning. Every backend understands
    #: these common ones (the pipeline reads them); subclasses list only their own, and
    #: ``declared_options()`` merges them all. A key an alias sets that no class of its
    #: backend declares is a typo to the system checks (``tryon.E012``).
    options_schema: ClassVar[dict[str, str]] = {
        "API_KEY": "the service's key, where it needs one (tryon.E003 when missing)",
        "COST": "credits one picture costs, for estimates and budgets",
        "TIMEOUT": "seconds one call to the provider may take",
        "FIRST_POLL_AFTER": "seconds from submission to the first poll",
        "MAX_CONCURRENT": "jobs running at once on this alias; more wait in our queue",
        "FALLBACK": "another alias that takes a job after an account error or retries",
        "DELETE_AFTER_DOWNLOAD": "delete the provider's copy once ours is stored",
        "MAX_GARMENTS": "garments one call may put on the person, at most the backend's own",
        "MAX_RESUBMISSIONS": "new jobs after the provider's job failed 'please retry' "
        "(default: TRYON['MAX_RESUBMISSIONS'])",
    }
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
            raise PermanentError(ErrorCode.UNSUPPORTED_CATEGORY)
        if len(request.garments) > self.garment_limit:
            raise PermanentError(
                ErrorCode.TOO_MANY_GARMENTS, provider_code=f"garments:{len(request.garments)}"
            )
        if request.garment is None and not (request.prompt and self.supports_prompt):
            raise PermanentError(
                ErrorCode.INVALID_INPUT, _("This service needs a picture of the garment.")
            )

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

    def account_summary(self) -> AccountSummary | None:
        """Credits left and plan, where the provider can tell for free; None where it can't.

        Raises ``ProviderError`` when the provider can tell but could not be asked now.
        """
        return None

    def extra_results(self, job: ProviderJob) -> list[str]:
        """Extra images to store with the result, by ``TryOnJob`` field name (e.g. ``"mask"``)."""
        return []

    @contextmanager
    def open_extra(self, job: ProviderJob, name: str) -> Iterator[IO[bytes]]:
        """One of ``extra_results``, streamed like ``open_result``."""
        raise NotImplementedError
        yield  # pragma: no cover

    @classmethod
    def declared_options(cls) -> dict[str, str]:
        """Every option this backend understands: ``options_schema`` of it and its bases."""
        declared: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            declared.update(vars(klass).get("options_schema", {}))
        return declared

    @classmethod
    def option_errors(cls, options: dict[str, Any]) -> list[str]:
        """Problems with an alias's options, reported by the system checks (``tryon.E010``)."""
        return []

    def parse_webhook(self, body: bytes, headers: dict[str, str]) -> WebhookEvent:
        """Verify and read a callback; raise ``WebhookRejected`` unless it is authentic."""
        raise WebhookRejected(ErrorCode.WEBHOOKS_UNSUPPORTED)
