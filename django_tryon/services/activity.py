"""What the try-on overview reports: daily jobs and credits, the queue, paused aliases, batches.

Read-only aggregates, each one query, so the overview costs the same with ten jobs or a
million. Days are calendar days in the current time zone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from ..models import ACTIVE_STATUSES, ProviderState, Status, TryOnBatch, TryOnJob
from ..providers import UnknownProvider, get_provider


@dataclass(frozen=True)
class DailySeries:
    """One value per day and key (a status, a provider alias), oldest day first."""

    days: list[date]
    keys: list[str]
    values: dict[str, list[int]]

    def total(self, key: str) -> int:
        return sum(self.values[key])

    def day_totals(self) -> list[int]:
        return [sum(self.values[key][i] for key in self.keys) for i in range(len(self.days))]


def _window(days: int, now: datetime | None) -> tuple[list[date], datetime]:
    today = timezone.localdate(now or timezone.now())
    first = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    return [first + timedelta(days=i) for i in range(days)], start


def _series(rows: list[tuple[date, str, int]], days: list[date], keys: list[str]) -> DailySeries:
    index = {day: i for i, day in enumerate(days)}
    values: dict[str, list[int]] = defaultdict(lambda: [0] * len(days))
    for day, key, value in rows:
        if day in index:
            values[key][index[day]] += int(value or 0)
    order = keys + sorted(set(values) - set(keys))
    return DailySeries(days, order, {key: values[key] for key in order})


def jobs_per_day(days: int = 30, *, now: datetime | None = None) -> DailySeries:
    """Jobs created per day over the last ``days`` days, by status."""
    window, start = _window(days, now)
    rows = list(
        TryOnJob.objects.filter(created_at__gte=start)
        .annotate(day=TruncDate("created_at"))
        .values_list("day", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return _series(rows, window, list(Status.values))


def credits_per_day(days: int = 30, *, now: datetime | None = None) -> DailySeries:
    """Credits charged per day over the last ``days`` days, by provider alias."""
    window, start = _window(days, now)
    rows = list(
        TryOnJob.objects.filter(created_at__gte=start, credits_charged__gt=0)
        .annotate(day=TruncDate("created_at"))
        .values_list("day", "provider")
        .annotate(n=Sum("credits_charged"))
        .order_by()
    )
    return _series(rows, window, [])


def queue() -> QuerySet[TryOnJob]:
    """Pending and running jobs, oldest first."""
    return TryOnJob.objects.active().order_by("created_at", "pk")


def queue_by_alias() -> dict[str, dict[str, int]]:
    """Alias -> {"pending": n, "running": n} for the active jobs."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ACTIVE_STATUSES, 0))
    rows = queue().values_list("provider", "status").annotate(n=Count("pk")).order_by()
    for alias, status, n in rows:
        counts[alias][status] = n
    return dict(sorted(counts.items()))


@dataclass(frozen=True)
class PausedAlias:
    alias: str
    name: str
    since: datetime | None
    code: str
    reason: str
    waiting: int  # active jobs held back until it resumes


def paused_aliases() -> list[PausedAlias]:
    waiting = dict(
        TryOnJob.objects.active()
        .values_list("provider")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("provider", "n")
    )
    paused = []
    for state in ProviderState.objects.filter(paused_at__isnull=False).order_by("alias"):
        try:
            name = get_provider(state.alias).display_name
        except UnknownProvider:
            name = state.alias
        paused.append(
            PausedAlias(
                alias=state.alias,
                name=name,
                since=state.paused_at,
                code=state.pause_code,
                reason=state.pause_reason,
                waiting=waiting.get(state.alias, 0),
            )
        )
    return paused


def recent_batches(limit: int = 10) -> QuerySet[TryOnBatch]:
    """The latest batches, each with ``jobs_total``, ``jobs_active``, ``jobs_failed``, ``credits``."""
    retried = Exists(TryOnJob.objects.filter(retry_of=OuterRef("jobs")))
    return (
        TryOnBatch.objects.select_related("created_by")
        .annotate(
            jobs_total=Count("jobs"),
            jobs_active=Count("jobs", filter=Q(jobs__status__in=ACTIVE_STATUSES)),
            jobs_failed=Count("jobs", filter=Q(jobs__status=Status.FAILED) & ~Q(retried)),
            credits=Sum("jobs__credits_charged"),
        )
        .order_by("-created_at")[:limit]
    )
