"""System checks: misconfiguration is reported by ``manage.py check``, never at request time.

========  ====================================================================
id        problem
========  ====================================================================
E001      ``DEFAULT_PROVIDER`` is not an alias of ``PROVIDERS``
E002      a provider's ``BACKEND`` is missing or doesn't import
E003      a provider that needs an API key has none
E004      ``STORAGE`` is not an alias of ``settings.STORAGES``
E005      ``django_q`` is not in ``INSTALLED_APPS``
E006      ``Q_CLUSTER["timeout"]`` is not below ``Q_CLUSTER["retry"]``
E007      ``Q_CLUSTER["timeout"]`` is not above the longest provider call (+ margin)
E008      a provider's ``FALLBACK`` is not an alias of ``PROVIDERS``
E009      a ``RATE_LIMITS`` or ``EVENTS_RATE_LIMIT`` value is not like ``"10/h"``
E010      a provider option has a value its backend refuses (``option_errors``)
E011      ``LEASE_SECONDS`` is not above the longest provider call
E012      a provider option that its backend doesn't declare (a typo?)
E013      ``PRIVATE_STORAGE`` would serve job files (shoppers' photos) at public URLs
E014      ``PRIVATE_STORAGE`` is not in ``STORAGES`` and ``MEDIA_ROOT`` is not set
E015      ``PRODUCT_ADAPTER`` doesn't import, or ``PRODUCT_MODELS`` names an unknown model
E016      a photo check threshold (``PHOTO_MIN_*``, ``PHOTO_MAX_BRIGHTNESS``,
          ``PHOTO_FULL_BODY_MAX_ASPECT``) is out of range
E017      ``ADD_TO_CART`` has no ``URL``, or one that neither reverses nor is a path
W001      a provider allows private URLs while ``DEBUG`` is off
W002      ``TRYON`` has a key that the app doesn't know (a typo?)
========  ====================================================================
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch

from .carts import action_url
from .conf import DEFAULTS, tryon_settings
from .storage import private_storage, public_url_reason


def _q_cluster() -> dict[str, Any]:
    return dict(getattr(settings, "Q_CLUSTER", None) or {})


@register(Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    errors: list[Any] = []
    providers = tryon_settings.PROVIDERS or {}
    default = tryon_settings.DEFAULT_PROVIDER
    if default not in providers:
        errors.append(
            Error(
                f"TRYON['DEFAULT_PROVIDER'] is {default!r}, which is not an alias of TRYON['PROVIDERS'].",
                hint=f"Use one of: {', '.join(providers) or '(none configured)'}.",
                id="tryon.E001",
            )
        )
    longest_call = 0.0
    for alias in providers:
        config = tryon_settings.provider(alias)
        try:
            backend = config.backend_class() if config.backend else None
        except ImproperlyConfigured as exc:
            backend = None
            errors.append(Error(str(exc), id="tryon.E002"))
        else:
            if backend is None:
                errors.append(Error(f"TRYON provider {alias!r} has no BACKEND.", id="tryon.E002"))
        if backend is None:
            continue
        if getattr(backend, "requires_api_key", False) and not config.options.get("API_KEY"):
            errors.append(
                Error(
                    f"TRYON provider {alias!r} ({backend.__name__}) needs an API_KEY.",
                    hint="Read it from the environment, e.g. os.environ['MAGICHOUR_API_KEY'].",
                    id="tryon.E003",
                )
            )
        fallback = config.options.get("FALLBACK")
        if fallback and fallback not in providers:
            errors.append(
                Error(
                    f"TRYON provider {alias!r} has FALLBACK {fallback!r}, which is not an alias.",
                    id="tryon.E008",
                )
            )
        errors.extend(_undeclared_options(alias, backend, config.options))
        option_errors = getattr(backend, "option_errors", None)
        for problem in option_errors(config.options) if option_errors else []:
            errors.append(Error(f"TRYON provider {alias!r}: {problem}", id="tryon.E010"))
        if config.options.get("ALLOW_PRIVATE_URLS") and not settings.DEBUG:
            errors.append(
                Warning(
                    f"TRYON provider {alias!r} allows private URLs while DEBUG is off.",
                    hint="ALLOW_PRIVATE_URLS is for local provider emulators; a production "
                    "alias with it can be made to fetch internal addresses (SSRF).",
                    id="tryon.W001",
                )
            )
        timeout = config.options.get("TIMEOUT", getattr(backend, "default_timeout", 0))
        longest_call = max(longest_call, float(timeout or 0))

    if tryon_settings.STORAGE not in settings.STORAGES:
        errors.append(
            Error(
                f"TRYON['STORAGE'] is {tryon_settings.STORAGE!r}, which is not an alias of settings.STORAGES.",
                id="tryon.E004",
            )
        )
    errors.extend(_check_private_storage())
    errors.extend(_check_cluster(longest_call))
    for scope, value in (tryon_settings.RATE_LIMITS or {}).items():
        try:
            tryon_settings.rate_limit(scope)
        except (ValueError, KeyError):
            errors.append(
                Error(
                    f"TRYON['RATE_LIMITS'][{scope!r}] is {value!r}; expected a count per s, m, h or d, like '10/h'.",
                    id="tryon.E009",
                )
            )
    try:
        tryon_settings.events_rate_limit()
    except (ValueError, KeyError):
        errors.append(
            Error(
                f"TRYON['EVENTS_RATE_LIMIT'] is {tryon_settings.EVENTS_RATE_LIMIT!r}; expected a count per s, m, h or d, like '600/h'.",
                id="tryon.E009",
            )
        )
    errors.extend(_check_products())
    errors.extend(_check_photo_thresholds())
    unknown = tryon_settings.user_keys() - set(DEFAULTS)
    if unknown:
        errors.append(
            Warning(
                f"TRYON has unknown keys: {', '.join(sorted(unknown))}.",
                hint="See the settings reference for the keys the app reads.",
                id="tryon.W002",
            )
        )
    return errors


def _undeclared_options(alias: str, backend: type, options: dict[str, Any]) -> list[Any]:
    """Keys no class of the backend declares: a typo such as MAX_CONCURENT turns a cap off."""
    declared_options = getattr(backend, "declared_options", None)
    if declared_options is None:  # not a BaseProvider: nothing declared to compare with
        return []
    declared = declared_options()
    errors = []
    for key in sorted(set(options) - set(declared)):
        close = difflib.get_close_matches(str(key), list(declared), n=1, cutoff=0.6)
        hint = f"Did you mean {close[0]!r}? " if close else ""
        errors.append(
            Error(
                f"TRYON provider {alias!r} has the option {key!r}, which "
                f"{backend.__name__} doesn't understand.",
                hint=f"{hint}Options of {backend.__name__}: {', '.join(sorted(declared))}.",
                obj=alias,
                id="tryon.E012",
            )
        )
    return errors


PRIVATE_STORAGE_HINT = (
    "Add to settings.STORAGES: {alias!r}: {{'BACKEND': "
    "'django_tryon.storage.PrivateFileSystemStorage', 'OPTIONS': {{'location': BASE_DIR / "
    "'tryon-private'}}}} (a folder outside MEDIA_ROOT), or on S3 an S3Storage with "
    "'querystring_auth': True and 'default_acl': 'private'; TRYON['PRIVATE_STORAGE'] names "
    "that alias."
)


def _check_private_storage() -> list[Any]:
    """Job files (shoppers' photos, results) must land where no URL serves them unsigned."""
    alias = tryon_settings.PRIVATE_STORAGE
    hint = PRIVATE_STORAGE_HINT.format(alias=alias)
    if alias not in settings.STORAGES and not settings.MEDIA_ROOT:
        return [
            Error(
                f"TRYON['PRIVATE_STORAGE'] is {alias!r}, which is not in settings.STORAGES, "
                "and MEDIA_ROOT is not set, so there is no folder to keep shoppers' photos in.",
                hint=hint,
                id="tryon.E014",
            )
        ]
    try:
        storage = private_storage()
    except Exception as exc:  # a backend that doesn't import or refuses its options
        return [
            Error(
                f"TRYON['PRIVATE_STORAGE'] {alias!r} can't be created: {exc}",
                hint=hint,
                id="tryon.E013",
            )
        ]
    reason = public_url_reason(storage)
    if reason is None:
        return []
    return [
        Error(
            f"TRYON['PRIVATE_STORAGE'] is {alias!r} ({type(storage).__name__}), where "
            f"shoppers' photos and results would be public: {reason}.",
            hint=hint,
            id="tryon.E013",
        )
    ]


def _check_products() -> list[Any]:
    from .adapters import get_adapter

    errors = []
    try:
        get_adapter()
    except ImproperlyConfigured as exc:
        errors.append(Error(str(exc), id="tryon.E015"))
    for label in tryon_settings.PRODUCT_MODELS:
        try:
            apps.get_model(label)
        except (LookupError, ValueError):
            errors.append(
                Error(
                    f"TRYON['PRODUCT_MODELS'] names {label!r}, which is not an installed model (app_label.ModelName).",
                    id="tryon.E015",
                )
            )
    return errors


# Each photo check threshold: the range its figure lives in (django_tryon.photo_checks).
PHOTO_THRESHOLDS = {
    "PHOTO_MIN_SHORT_EDGE": (0, 100_000, "pixels"),
    "PHOTO_MIN_BRIGHTNESS": (0, 255, "a grey level, 0-255"),
    "PHOTO_MAX_BRIGHTNESS": (0, 255, "a grey level, 0-255"),
    "PHOTO_MIN_CONTRAST": (0, 128, "a standard deviation of grey levels, 0-128"),
    "PHOTO_MIN_SHARPNESS": (0, 1, "an edge steepness, 0-1"),
    "PHOTO_FULL_BODY_MAX_ASPECT": (0.1, 10, "a width / height ratio"),
}


def _check_photo_thresholds() -> list[Any]:
    """A threshold out of its figure's range refuses every photo, or none."""
    errors = []
    for key, (low, high, unit) in PHOTO_THRESHOLDS.items():
        value = getattr(tryon_settings, key)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            errors.append(
                Error(
                    f"TRYON[{key!r}] is {value!r}; it must be a number from {low} to {high} ({unit}).",
                    hint=f"The default is {DEFAULTS[key]!r}; see the settings reference.",
                    id="tryon.E016",
                )
            )
    return errors


def _check_cluster(longest_call: float) -> list[Any]:
    if not apps.is_installed("django_q"):
        return [
            Error(
                "django_tryon needs django-q2: add 'django_q' to INSTALLED_APPS.",
                id="tryon.E005",
            )
        ]
    cluster = _q_cluster()
    timeout, retry = cluster.get("timeout"), cluster.get("retry", 60)
    errors: list[Any] = []
    if timeout is not None and retry is not None and timeout >= retry:
        errors.append(
            Error(
                f"Q_CLUSTER['timeout'] ({timeout}) must be below Q_CLUSTER['retry'] ({retry}).",
                hint="Otherwise the ORM broker hands a running task to a second worker.",
                id="tryon.E006",
            )
        )
    needed = longest_call + 30
    lease = tryon_settings.LEASE_SECONDS
    if lease < needed:
        errors.append(
            Error(
                f"TRYON['LEASE_SECONDS'] ({lease}) is too short: a provider "
                f"call may take {longest_call:g} s, so a job must stay leased at least {needed:g} s.",
                hint="Otherwise a second worker takes over a job whose provider call is still running.",
                id="tryon.E011",
            )
        )
    # A ticker or drain task starts its last step up to TICK_SECONDS in.
    task_needs = longest_call + max(30.0, tryon_settings.TICK_SECONDS + 20)
    if timeout is not None and timeout < task_needs:
        errors.append(
            Error(
                f"Q_CLUSTER['timeout'] ({timeout}) is too short: a provider call may take "
                f"{longest_call:g} s, started up to TICK_SECONDS "
                f"({tryon_settings.TICK_SECONDS:g}) into a task, so workers need at least "
                f"{task_needs:g} s.",
                hint="Raise Q_CLUSTER['timeout'] (and 'retry' above it), or lower the provider's TIMEOUT.",
                id="tryon.E007",
            )
        )
    return errors


@register(Tags.urls)
def check_add_to_cart(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    config = tryon_settings.ADD_TO_CART
    if not config:
        return []
    hint = 'e.g. {"URL": "cart:add", "FIELDS": {"quantity": "1"}}: see the widget docs.'
    if not isinstance(config, Mapping) or not config.get("URL"):
        return [Error("TRYON['ADD_TO_CART'] needs a URL.", hint=hint, id="tryon.E017")]
    url = str(config["URL"])
    if "/" in url or "{pk}" in url:
        return []
    try:
        action_url(url, 1)
    except NoReverseMatch:
        return [
            Error(
                f"TRYON['ADD_TO_CART']['URL'] {url!r} is not a URL name that takes the "
                "product's pk or no argument, nor a path.",
                hint=hint,
                id="tryon.E017",
            )
        ]
    return []
