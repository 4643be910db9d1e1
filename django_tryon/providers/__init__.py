"""Provider backends, built per alias from ``TRYON["PROVIDERS"]``."""

from __future__ import annotations

from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver

from ..conf import tryon_settings
from ..errors import UnknownProvider
from .base import (
    AccountError,
    BaseProvider,
    ErrorKind,
    PermanentError,
    ProviderError,
    ProviderJob,
    TransientError,
    TryOnRequest,
)

__all__ = [
    "AccountError",
    "BaseProvider",
    "ErrorKind",
    "PermanentError",
    "ProviderError",
    "ProviderJob",
    "TransientError",
    "TryOnRequest",
    "UnknownProvider",
    "get_provider",
]


# One instance per alias and process, so that each keeps its HTTP session (connection reuse).
_instances: dict[str, BaseProvider] = {}


def get_provider(alias: str | None = None) -> BaseProvider:
    alias = alias or tryon_settings.DEFAULT_PROVIDER
    if alias not in _instances:
        try:
            config = tryon_settings.provider(alias)
        except KeyError:
            raise UnknownProvider(alias) from None
        _instances[alias] = config.backend_class()(alias, **config.options)
    return _instances[alias]


@receiver(setting_changed)
def _forget_instances(*, setting: str, **kwargs: Any) -> None:
    if setting == "TRYON":
        _instances.clear()
