"""The ``TRYON`` settings, read lazily through one typed object.

Every key, its default and its meaning live in ``DEFAULTS`` below and nowhere else; the
settings reference in the docs is checked against this dict by a test. Values are read
from ``settings.TRYON`` on every access, so ``override_settings(TRYON=...)`` just works.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

SANDBOX_BACKEND = "django_tryon.providers.sandbox.SandboxProvider"

DEFAULTS: dict[str, Any] = {
    # Alias of the provider used when a caller names none.
    "DEFAULT_PROVIDER": "sandbox",
    # Provider aliases: each names a dotted BACKEND; every other key is an option of it.
    "PROVIDERS": {"sandbox": {"BACKEND": SANDBOX_BACKEND}},
    # Alias in settings.STORAGES for the merchant's pictures: garment images, model photos.
    "STORAGE": "default",
    # Alias in settings.STORAGES for every job's files: uploaded person photos, results,
    # masks. No URL may serve them (checked: tryon.E013). Without that alias in STORAGES, a
    # PrivateFileSystemStorage in a "tryon-private" folder next to MEDIA_ROOT.
    "PRIVATE_STORAGE": "tryon_private",
    # The class that knows the shop's products (availability, names, variants...).
    # Unset, django-oscar's when django_tryon.contrib.oscar is installed.
    "PRODUCT_ADAPTER": "django_tryon.adapters.DefaultProductAdapter",
    # Product models ("app_label.ModelName") for the default adapter: deleting one of
    # these deletes its garments (models with a try-on product admin are added anyway).
    "PRODUCT_MODELS": [],
    # django_tryon.contrib.oscar: Oscar product class slugs to the garment category
    # their products imply, e.g. {"t-shirts": "upper_body", "trousers": "lower_body"}.
    "OSCAR_PRODUCT_CLASS_CATEGORIES": {},
    # The shop's add-to-cart form under a try-on result (None: none), e.g.
    # {"URL": "cart:add", "FIELDS": {"quantity": "1"}}: see django_tryon.carts.
    "ADD_TO_CART": None,
    # Folder (inside that storage) under which every file of the app is saved.
    "STORAGE_PREFIX": "tryon",
    # Uploads: accepted formats (Pillow names), byte and pixel limits.
    "ALLOWED_FORMATS": ["JPEG", "PNG", "WEBP"],
    "MAX_UPLOAD_BYTES": 15 * 1024 * 1024,
    "MAX_IMAGE_PIXELS": 40_000_000,
    # Memory bound of checking an upload: the bytes its decoded pixels take (width x height
    # x bytes per pixel, JPEGs at the reduced size they are decoded at), and how many
    # images one process decodes at once (others wait up to DECODE_WAIT s, then "busy").
    "MAX_DECODED_BYTES": 64 * 1024 * 1024,
    "MAX_CONCURRENT_DECODES": 2,
    "DECODE_WAIT": 10.0,
    # Shopper photos are re-encoded as JPEG with at most this many pixels on the long edge.
    "PHOTO_MAX_EDGE": 2048,
    # Checks on shopper photos before any credit is spent (django_tryon.photo_checks),
    # asked in this order: short edge in pixels; grey level (0-255) that the brightest 3%
    # must reach (below: too dark); grey level under which the darkest 5% lie, when half
    # the photo is clipped white (above: too bright); standard deviation of the grey
    # levels of a 64-pixel copy (below: nearly uniform); edge steepness, 0-1 (below: blurred).
    # For a full-body garment, the widest width / height a full-length photo may have.
    "PHOTO_MIN_SHORT_EDGE": 512,
    "PHOTO_MIN_BRIGHTNESS": 78.0,
    "PHOTO_MAX_BRIGHTNESS": 110.0,
    "PHOTO_MIN_CONTRAST": 12.0,
    "PHOTO_MIN_SHARPNESS": 0.34,
    "PHOTO_FULL_BODY_MAX_ASPECT": 0.85,
    # Results downloaded from a provider larger than this are refused.
    "MAX_RESULT_BYTES": 30 * 1024 * 1024,
    # Pipeline timing (seconds).
    "POLL_INTERVAL": 2.0,
    "POLL_BATCH_SIZE": 100,
    "TICK_SECONDS": 10.0,
    "LEASE_SECONDS": 300,
    "JOB_DEADLINE": 30 * 60,
    "REDISPATCH_AFTER": 60,
    "SWEEP_MINUTES": 1,
    # Transient failures of one job before it fails over or fails.
    "MAX_TRANSIENT_ERRORS": 5,
    "BACKOFF_BASE": 2.0,
    "BACKOFF_MAX": 120.0,
    # New provider jobs for one of ours after the provider's job failed with an error it
    # documents as "retry the request" (FASHN's PipelineError...); each is a new create,
    # charged as the provider charges it. Then the job fails (provider_failed_repeatedly).
    "MAX_RESUBMISSIONS": 2,
    # Credits that may be committed per day (None: no limit), all jobs and shopper jobs.
    "DAILY_CREDIT_BUDGET": None,
    "SHOPPER_DAILY_CREDIT_BUDGET": None,
    # Shopper privacy: hours until shopper photos and results are deleted.
    "SHOPPER_RETENTION_HOURS": 24,
    "CONSENT_TEXT": (
        "I agree that my photo is sent to our try-on provider to create this picture, "
        "and that it is deleted within 24 hours."
    ),
    "CONSENT_VERSION": "1",
    # Shopper rate limits: requests per window, per session and per client IP.
    "RATE_LIMITS": {"SESSION": "10/h", "IP": "30/h"},
    # Conversion report: requests to the widget's events endpoint per client IP (None: no
    # limit), and days its events and recorded orders are kept (pseudonymous: an owner hash).
    "EVENTS_RATE_LIMIT": "600/h",
    "CONVERSION_RETENTION_DAYS": 90,
    # Cache alias for the gallery's resized images and the admin's thumbnails.
    "CACHE": "default",
    # Let shoppers describe a garment in words instead (providers that support prompts).
    "PROMPT_MODE": False,
    # Header with the client's address when behind a trusted proxy (None: REMOTE_ADDR).
    "CLIENT_IP_HEADER": None,
}


@dataclass(frozen=True)
class ProviderConfig:
    """One alias of ``TRYON["PROVIDERS"]``: its backend and the options given to it."""

    alias: str
    backend: str
    options: dict[str, Any] = field(default_factory=dict)

    def backend_class(self) -> type:
        try:
            return import_string(self.backend)
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"TRYON provider {self.alias!r}: cannot import BACKEND {self.backend!r}: {exc}"
            ) from exc


class TryOnSettings:
    """Attribute access to ``settings.TRYON`` with ``DEFAULTS`` filled in."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown TRYON setting {name!r}")
        user = getattr(django_settings, "TRYON", None) or {}
        return user.get(name, DEFAULTS[name])

    def user_keys(self) -> set[str]:
        return set(getattr(django_settings, "TRYON", None) or {})

    def provider(self, alias: str | None = None) -> ProviderConfig:
        alias = alias or self.DEFAULT_PROVIDER
        providers = self.PROVIDERS
        if alias not in providers:
            raise KeyError(alias)
        options = dict(providers[alias])
        backend = options.pop("BACKEND", "")
        return ProviderConfig(alias=alias, backend=backend, options=options)

    def provider_aliases(self) -> list[str]:
        return list(self.PROVIDERS)

    def rate_limit(self, scope: str) -> tuple[int, int] | None:
        """``"10/h"`` as ``(10, 3600)``; None when the scope has no limit."""
        return parse_rate((self.RATE_LIMITS or {}).get(scope))

    def events_rate_limit(self) -> tuple[int, int] | None:
        """``EVENTS_RATE_LIMIT`` as ``(count, seconds)``; None for no limit."""
        return parse_rate(self.EVENTS_RATE_LIMIT)


def parse_rate(value: Any) -> tuple[int, int] | None:
    """``"10/h"`` as ``(10, 3600)``; None for an empty value. Raises ValueError/KeyError."""
    if not value:
        return None
    count, _, period = str(value).partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period.strip()[:1] or "h"]
    return int(count), seconds


tryon_settings = TryOnSettings()
