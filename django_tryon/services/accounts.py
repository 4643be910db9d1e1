"""What each provider account has left, for the admin overview.

Asked of the providers that can tell for free (``BaseProvider.account_summary``), and
kept in the cache for a few minutes so that the overview doesn't call every provider on
each visit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.cache import cache

from ..conf import tryon_settings
from ..providers import get_provider
from ..providers.base import ProviderError

CACHE_SECONDS = 300


@dataclass(frozen=True)
class AccountLine:
    alias: str
    name: str
    credits_left: int | None
    plan: str = ""
    problem: str = ""  # plain words when the provider could not be asked just now


def _cache_key() -> str:
    # The configuration itself keys the cache: other settings, other accounts.
    digest = hashlib.sha256(repr(sorted(tryon_settings.PROVIDERS.items())).encode()).hexdigest()
    return f"django_tryon:accounts:{digest[:32]}"


def account_lines(*, fresh: bool = False) -> list[AccountLine]:
    """One line per alias whose provider can tell its credits (others are left out)."""
    key = _cache_key()
    lines: list[AccountLine] | None = None if fresh else cache.get(key)
    if lines is not None:
        return lines
    lines = []
    for alias in tryon_settings.provider_aliases():
        provider = get_provider(alias)
        try:
            summary = provider.account_summary()
        except ProviderError as error:
            lines.append(AccountLine(alias, provider.display_name, None, problem=error.message))
            continue
        if summary is not None:
            lines.append(
                AccountLine(alias, provider.display_name, summary.credits_left, summary.plan)
            )
    cache.set(key, lines, CACHE_SECONDS)
    return lines
