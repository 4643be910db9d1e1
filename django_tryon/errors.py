"""The error vocabulary: every stable error code, its plain words, and the exceptions.

A code is what a program compares (``job.error_code``, the API's ``{"code": ...}``, a
``ValidationError``'s ``code``); ``ErrorCode`` is a ``StrEnum``, so ``code == "no_person"``
keeps working wherever a bare string was compared before. ``MESSAGES`` holds the words a
person reads for each code that has fixed words; a refusal whose words need a number
(a size limit, minutes to wait) builds them where it is raised.

Every exception the app raises on purpose derives from ``TryOnError``, with the Python or
Django type it also is mixed in (as django-anymail does), so callers can catch either:

================== ==========================================================
exception          also a
================== ==========================================================
ProviderError      (its kinds: TransientError, PermanentError, AccountError,
                   ResubmitError)
ShopperError       (the shopper API answers it as ``{"code", "message"}``)
WebhookRejected    ``SuspiciousOperation`` (400, logged to django.security)
UnknownProvider    ``KeyError`` and ``ImproperlyConfigured``
StorageError       ``OSError``
JobTimeout         ``TimeoutError``
================== ==========================================================
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from .models import TryOnJob


class ErrorCode(enum.StrEnum):
    """Stable codes: stored on jobs, sent in API answers, never renamed."""

    # A job's failure, from its provider or on the way to it (``TryOnJob.error_code``).
    PROVIDER_ERROR = "provider_error"
    RATE_LIMITED = "rate_limited"  # also a shopper over the rate limits
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"
    BAD_RESPONSE = "bad_response"
    NO_PERSON = "no_person"
    HARMFUL_CONTENT = "harmful_content"
    INVALID_INPUT = "invalid_input"
    UNSUPPORTED_CATEGORY = "unsupported_category"
    TOO_MANY_GARMENTS = "too_many_garments"
    AUTH_FAILED = "auth_failed"
    INSUFFICIENT_CREDITS = "insufficient_credits"
    DOWNLOAD_FAILED = "download_failed"
    RESULT_NOT_IMAGE = "result_not_image"
    RESULT_TOO_LARGE = "result_too_large"
    URL_NOT_ALLOWED = "url_not_allowed"
    DEADLINE_EXCEEDED = "deadline_exceeded"
    CANCELED = "canceled"
    STORAGE_ERROR = "storage_error"
    PROVIDER_PAUSED = "provider_paused"
    # A provider's job failed "please retry" more often than MAX_RESUBMISSIONS allows.
    PROVIDER_FAILED_REPEATEDLY = "provider_failed_repeatedly"

    # Input refused before anything is stored or spent (``ValidationError.code``).
    EMPTY_FILE = "empty_file"
    FILE_TOO_LARGE = "file_too_large"
    NOT_AN_IMAGE = "not_an_image"
    UNSUPPORTED_FORMAT = "unsupported_format"
    TOO_MANY_PIXELS = "too_many_pixels"
    TRUNCATED_IMAGE = "truncated_image"
    PHOTO_TOO_SMALL = "photo_too_small"
    PHOTO_NOT_FULL_LENGTH = "photo_not_full_length"
    PHOTO_UNIFORM = "photo_uniform"
    PHOTO_TOO_DARK = "photo_too_dark"
    PHOTO_TOO_BRIGHT = "photo_too_bright"
    PHOTO_BLURRED = "photo_blurred"
    UNKNOWN_PROVIDER = "unknown_provider"
    INVALID_CATEGORY = "invalid_category"
    GARMENT_REQUIRED = "garment_required"
    GARMENT_INACTIVE = "garment_inactive"
    BUDGET_EXCEEDED = "budget_exceeded"
    NOT_RETRYABLE = "not_retryable"
    # ...by the merchant's bulk generation.
    NO_GARMENTS = "no_garments"
    NO_MODEL_PHOTOS = "no_model_photos"
    UNKNOWN_MODEL = "unknown_model"
    AMBIGUOUS_MODEL = "ambiguous_model"
    UNKNOWN_PRODUCT = "unknown_product"
    UNKNOWN_GARMENT = "unknown_garment"
    BAD_MODEL_PHOTOS = "bad_model_photos"
    NOT_PLANNED = "not_planned"
    NOTHING_TO_GENERATE = "nothing_to_generate"

    # The shopper API's refusals (``ShopperError.code``).
    NOT_FOUND = "not_found"
    GARMENT_NOT_FOUND = "garment_not_found"
    GARMENT_UNAVAILABLE = "garment_unavailable"
    CONSENT_REQUIRED = "consent_required"
    CONSENT_CHANGED = "consent_changed"
    PHOTO_REQUIRED = "photo_required"
    PHOTO_GONE = "photo_gone"  # the visit's photo was deleted or has expired
    PROMPT_NOT_ALLOWED = "prompt_not_allowed"
    PROMPT_TOO_LONG = "prompt_too_long"
    REQUEST_TOO_LARGE = "request_too_large"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CSRF_FAILED = "csrf_failed"
    BAD_REQUEST = "bad_request"
    SERVER_ERROR = "server_error"
    SERVER_BUSY = "server_busy"
    # ...of an outfit ("Complete the look", ``request_outfit``).
    OUTFIT_CATEGORIES = "outfit_categories"
    OUTFIT_NOT_READY = "outfit_not_ready"

    # Why a provider callback was refused (``WebhookRejected.code``, answered with a 400).
    WEBHOOKS_UNSUPPORTED = "webhooks_unsupported"
    WEBHOOKS_NOT_CONFIGURED = "webhooks_not_configured"
    UNSIGNED = "unsigned"
    STALE = "stale"
    MALFORMED = "malformed"
    BAD_TIMESTAMP = "bad_timestamp"
    BAD_SIGNATURE = "bad_signature"

    # ``request_tryon(wait=True)`` ran out of time (``JobTimeout.code``); the job goes on.
    JOB_TIMEOUT = "job_timeout"

    @property
    def message(self) -> str:
        """The plain words for this code in the active language ("" if they need values)."""
        return str(MESSAGES.get(self, ""))


# The words a merchant or shopper reads for each code, where they are fixed.
MESSAGES: dict[str, Any] = {
    ErrorCode.PROVIDER_ERROR: _("The try-on service reported an error."),
    ErrorCode.RATE_LIMITED: _("The try-on service is busy; we will try again shortly."),
    ErrorCode.PROVIDER_UNAVAILABLE: _(
        "The try-on service is temporarily unavailable; we will try again."
    ),
    ErrorCode.TIMEOUT: _("The try-on service took too long to answer; we will try again."),
    ErrorCode.CONNECTION_ERROR: _("We could not reach the try-on service; we will try again."),
    ErrorCode.BAD_RESPONSE: _("The try-on service sent an answer we could not read."),
    ErrorCode.NO_PERSON: _(
        "We couldn't find a person in this photo. Please use a clear photo of one person, "
        "facing the camera, with the upper body visible."
    ),
    ErrorCode.HARMFUL_CONTENT: _(
        "This picture can't be processed because it may break content rules."
    ),
    ErrorCode.INVALID_INPUT: _("The try-on service could not use these images."),
    ErrorCode.TOO_MANY_GARMENTS: _(
        "The try-on service dresses the person in fewer garments at once; "
        "try the garments one after another."
    ),
    ErrorCode.UNSUPPORTED_CATEGORY: _(
        "This garment category is not supported by the chosen service."
    ),
    ErrorCode.AUTH_FAILED: _(
        "The try-on service refused our credentials. An administrator has been told."
    ),
    ErrorCode.INSUFFICIENT_CREDITS: _(
        "The try-on account has run out of credits. An administrator has been told."
    ),
    ErrorCode.DOWNLOAD_FAILED: _(
        "We could not fetch the finished picture from the try-on service."
    ),
    ErrorCode.RESULT_NOT_IMAGE: _("The try-on service returned something that is not a picture."),
    ErrorCode.RESULT_TOO_LARGE: _("The try-on service returned a picture that is too large."),
    ErrorCode.URL_NOT_ALLOWED: _("The try-on service pointed us to an address we do not follow."),
    ErrorCode.DEADLINE_EXCEEDED: _("This try-on took too long and was stopped."),
    ErrorCode.CANCELED: _("This try-on was canceled."),
    ErrorCode.STORAGE_ERROR: _("We could not save the picture; we will try again."),
    ErrorCode.PROVIDER_PAUSED: _(
        "Try-on isn't available right now. Please try again a little later."
    ),
    ErrorCode.PROVIDER_FAILED_REPEATEDLY: _(
        "The try-on service could not make this picture, even after several tries. "
        "Please try again later."
    ),
    ErrorCode.NOT_FOUND: _("This try-on doesn't exist or has been deleted."),
    ErrorCode.GARMENT_NOT_FOUND: _(
        "We couldn't find this product's try-on. Please reload the page."
    ),
    ErrorCode.GARMENT_UNAVAILABLE: _("This product can't be tried on at the moment."),
    ErrorCode.CONSENT_REQUIRED: _("Please agree to how your photo is used before continuing."),
    ErrorCode.CONSENT_CHANGED: _(
        "Our photo consent text has changed. Please reload the page and read it again."
    ),
    ErrorCode.PHOTO_REQUIRED: _("Please choose a photo of yourself first."),
    # The photo checks (django_tryon.photo_checks), in the order they are asked.
    ErrorCode.PHOTO_NOT_FULL_LENGTH: _(
        "This garment needs a full-length photo. Please use an upright photo that shows "
        "you from head to feet."
    ),
    ErrorCode.PHOTO_TOO_DARK: _(
        "This photo is too dark. Please take it somewhere brighter, with the light in front of you."
    ),
    ErrorCode.PHOTO_TOO_BRIGHT: _(
        "This photo is too bright: most of it is washed out. Please take it out of direct "
        "light, or away from a bright window behind you."
    ),
    ErrorCode.PHOTO_UNIFORM: _(
        "This photo is almost all one colour, so we can't see you in it. Please take a "
        "photo of yourself."
    ),
    ErrorCode.PHOTO_BLURRED: _(
        "This photo is blurred. Please hold the camera still, let it focus on you, and "
        "take it again."
    ),
    ErrorCode.PHOTO_GONE: _(
        "Your photo has been deleted or has expired. Please choose a photo again."
    ),
    ErrorCode.PROMPT_NOT_ALLOWED: _("Describing a garment isn't available here."),
    ErrorCode.NOT_AN_IMAGE: _("We couldn't read this photo. Please try another one."),
    ErrorCode.REQUEST_TOO_LARGE: _("This upload is too large."),
    ErrorCode.METHOD_NOT_ALLOWED: _("This method is not allowed here."),
    ErrorCode.CSRF_FAILED: _(
        "Your session has expired or this page is out of date. Please reload the page."
    ),
    ErrorCode.BAD_REQUEST: _("The upload was incomplete or malformed. Please try again."),
    ErrorCode.SERVER_ERROR: _("Sorry, something went wrong on our side. Please try again later."),
    ErrorCode.SERVER_BUSY: _(
        "We are busy checking other photos. Please try again in a few seconds."
    ),
    ErrorCode.OUTFIT_CATEGORIES: _(
        "An outfit takes at most one garment of each kind: top, bottom, full body."
    ),
    ErrorCode.OUTFIT_NOT_READY: _("Complete the look once your picture is ready."),
}

# The HTTP status of a shopper refusal: size 413, limits 429, missing 404, else 400.
STATUS_FOR_CODE: dict[str, int] = {
    ErrorCode.FILE_TOO_LARGE: 413,
    ErrorCode.REQUEST_TOO_LARGE: 413,
    ErrorCode.TOO_MANY_PIXELS: 413,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.BUDGET_EXCEEDED: 429,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.GARMENT_NOT_FOUND: 404,
    ErrorCode.PHOTO_GONE: 404,
    ErrorCode.GARMENT_UNAVAILABLE: 404,
    ErrorCode.CONSENT_CHANGED: 409,
    ErrorCode.OUTFIT_NOT_READY: 409,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.CSRF_FAILED: 403,
    ErrorCode.SERVER_ERROR: 500,
    ErrorCode.SERVER_BUSY: 503,
}


def message_for(code: str, default: str = ErrorCode.PROVIDER_ERROR) -> str:
    """The plain words for ``code`` in the active language, or those of ``default``."""
    return str(MESSAGES.get(code) or MESSAGES[default])


# Exceptions ---------------------------------------------------------------------------------


class TryOnError(Exception):
    """Root of every exception django-tryon raises on purpose.

    ``code`` is an ``ErrorCode`` (a plain string for codes a subclass adds); ``message``
    is for people, never contains credentials, and defaults to the code's ``MESSAGES``.
    """

    default_code: ClassVar[str] = ""

    def __init__(self, code: str | None = None, message: str | Promise | None = None) -> None:
        self.code = code or self.default_code
        self.message = str(message or MESSAGES.get(self.code, ""))
        super().__init__(f"{self.code}: {self.message}" if self.message else self.code)


class ErrorKind(enum.StrEnum):
    TRANSIENT = "transient"  # retried with backoff: 5xx, 429, timeouts, resets
    PERMANENT = "permanent"  # the input is at fault: shown to the user, never retried
    ACCOUNT = "account"  # key or credits: the alias pauses, the admin is told
    # The provider's job failed for a reason of the provider's own that it documents as
    # worth sending again ("retry the request"): a new job is created, a bounded number of
    # times (MAX_RESUBMISSIONS). Met only as a failed job's ``ProviderJob.error``.
    RESUBMIT = "resubmit"


class ProviderError(TryOnError):
    """A failure reported by (or on the way to) a provider, in normalised form.

    ``code`` is one of ``ErrorCode``; ``message`` is plain words for the person looking
    at the job; ``provider_code`` is the provider's own code, kept for support.
    """

    kind: ClassVar[ErrorKind] = ErrorKind.TRANSIENT
    default_code = ErrorCode.PROVIDER_ERROR

    def __init__(
        self,
        code: str,
        message: str | Promise | None = None,
        *,
        provider_code: str = "",
        retry_after: float | None = None,
        no_job_created: bool = False,
    ) -> None:
        super().__init__(code, message or message_for(code))
        self.provider_code = str(provider_code)
        self.retry_after = retry_after
        # True when the provider certainly created no job (safe to submit again).
        self.no_job_created = no_job_created


class TransientError(ProviderError):
    kind = ErrorKind.TRANSIENT


class PermanentError(ProviderError):
    kind = ErrorKind.PERMANENT


class AccountError(ProviderError):
    kind = ErrorKind.ACCOUNT


class ResubmitError(ProviderError):
    """A failed provider job that the provider says to send again (e.g. FASHN's
    ``PipelineError``): the pipeline creates a new one, at most ``MAX_RESUBMISSIONS`` times,
    then fails the job with ``provider_failed_repeatedly``. ``code`` and ``message`` are the
    failure's own, kept for support while the job is resubmitted."""

    kind = ErrorKind.RESUBMIT


class ShopperError(TryOnError):
    """A refusal for the shopper, raised before anything is stored or any credit spent.

    ``status`` is the HTTP status the API answers with (``STATUS_FOR_CODE`` by default);
    ``retry_after`` (seconds) goes into a ``Retry-After`` header.
    """

    def __init__(
        self,
        code: str,
        message: str | Promise | None = None,
        *,
        status: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(code, message)
        self.status = status or STATUS_FOR_CODE.get(code, 400)
        self.retry_after = retry_after


class WebhookRejected(TryOnError, SuspiciousOperation):
    """A callback that is not provably from the provider: unsigned, forged, stale, malformed.

    ``reason`` (the same as ``code``) is short and stable, for the response and the log;
    it never echoes secrets.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)

    @property
    def reason(self) -> str:
        return self.code


class UnknownProvider(TryOnError, KeyError, ImproperlyConfigured):
    """An alias that ``TRYON["PROVIDERS"]`` doesn't (or no longer) name."""

    default_code = ErrorCode.UNKNOWN_PROVIDER

    def __init__(self, alias: str | None) -> None:
        self.alias = alias
        # For developers (a configuration problem), so not translated.
        super().__init__(ErrorCode.UNKNOWN_PROVIDER, f"Unknown try-on provider alias {alias!r}.")
        self.args = (alias,)  # str() as a KeyError's: the alias

    def __str__(self) -> str:
        return repr(self.alias)


class StorageError(TryOnError, OSError):
    """The storage backend failed, whatever it raised (S3 raises boto errors, not OSError)."""

    default_code = ErrorCode.STORAGE_ERROR

    def __init__(self, detail: str = "") -> None:
        super().__init__(ErrorCode.STORAGE_ERROR)
        self.detail = detail
        self.args = (detail,)

    def __str__(self) -> str:
        return self.detail or self.message


class JobTimeout(TryOnError, TimeoutError):
    """``wait=True`` ran out of time; ``job`` is the job as it stands."""

    def __init__(self, job: TryOnJob) -> None:
        super().__init__(ErrorCode.JOB_TIMEOUT, f"Try-on job {job.pk} is still {job.status}")
        self.job = job
