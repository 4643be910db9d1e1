"""The shopper rate limits (``RATE_LIMITS``), held exactly on any database and cache.

Each scope (``SESSION``, ``IP``) counts its hits in fixed windows, one ``RateWindow`` row
per scope, client and window. Taking a hit is one conditional UPDATE, ``hits = hits + 1
WHERE hits < limit``: as with the credit budget (``django_tryon.budget``), two requests
can never both see room for the last hit, whichever process they run in. A window's row
is created on its first hit; the cleanup deletes the rows of windows that have ended.
"""

from __future__ import annotations

import datetime
import hashlib
import time
from dataclasses import dataclass

from django.db.models import F, QuerySet
from django.utils import timezone

from .models import RateWindow

LONGEST_WINDOW = datetime.timedelta(days=1)  # the longest period ``RATE_LIMITS`` can say


@dataclass(frozen=True)
class Hit:
    """One counted hit: whether it was allowed, the seconds left in its window, and the
    window it was counted in (to give it back)."""

    allowed: bool
    retry_after: int
    scope: str
    key: str
    window_start: datetime.datetime

    def give_back(self) -> None:
        """Uncount an allowed hit (an upload refused as bad input)."""
        if self.allowed:
            _window(self.scope, self.key, self.window_start).filter(hits__gt=0).update(
                hits=F("hits") - 1
            )


def key_of(ident: str) -> str:
    """What the table holds instead of a session owner or an address."""
    return hashlib.sha256(ident.encode()).hexdigest()


def _window(scope: str, key: str, start: datetime.datetime) -> QuerySet[RateWindow]:
    return RateWindow.objects.filter(scope=scope, key=key, window_start=start)


def hit(scope: str, ident: str, limit: tuple[int, int], *, now: float | None = None) -> Hit:
    """Count one hit of ``ident`` in ``scope``'s current window, if ``limit`` (count,
    seconds) leaves room; a refused hit is not counted."""
    count, period = limit
    now = time.time() if now is None else now
    start = datetime.datetime.fromtimestamp(now // period * period, tz=datetime.UTC)
    key = key_of(ident)
    retry_after = max(1, int(period - now % period))
    rows = _window(scope, key, start).filter(hits__lt=count)
    allowed = bool(rows.update(hits=F("hits") + 1))
    if not allowed and count > 0:
        # No row yet, or one another request made since the UPDATE: decide once it exists.
        if not _window(scope, key, start).exists():
            RateWindow.objects.bulk_create(
                [RateWindow(scope=scope, key=key, window_start=start, hits=0)],
                ignore_conflicts=True,  # another request made it meanwhile: theirs counts
            )
        allowed = bool(rows.update(hits=F("hits") + 1))
    return Hit(allowed, retry_after, scope, key, start)


def delete_ended(now: datetime.datetime | None = None) -> int:
    """Delete the rows of windows that ended (every window lasts at most a day)."""
    cutoff = (now or timezone.now()) - LONGEST_WINDOW
    deleted, _ = RateWindow.objects.filter(window_start__lt=cutoff).delete()
    return deleted
