"""The daily credit budgets, held exactly under concurrency.

``DAILY_CREDIT_BUDGET`` caps the credits committed per day by all jobs,
``SHOPPER_DAILY_CREDIT_BUDGET`` those of shopper jobs. A job commits its estimate when it
is created and is *settled* when it ends: from then on it counts what it was charged (a
job that failed before any provider charged it gives its estimate back).

Check and commit are one decision: ``UPDATE ... SET committed = committed + n WHERE
committed <= limit - n`` on the day's ``CreditBudget`` row. Postgres re-checks the WHERE
on the row's newest version after waiting for its lock, MySQL's UPDATE reads the newest
version, SQLite runs one writer at a time: on each, the last credit goes to one request.
A day's row is created on its first use, from the jobs created that day so far.

Only a scope with a limit keeps a row: without one there is nothing to hold, and a row
that every new job updates would queue all of them (in every web process) on its lock.
A row left from a time the scope had a limit is dropped, so that a limit set again counts
from the jobs, not from a counter that missed some.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, Sum, When
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .conf import tryon_settings
from .errors import ErrorCode
from .models import ACTIVE_STATUSES, CreditBudget, Source, TryOnJob

ALL = "all"
SHOPPER = "shopper"


def _scopes(source: str) -> list[tuple[str, int | None]]:
    """The budgets a job from ``source`` counts against, with their limits (None: none)."""
    scopes = [(ALL, tryon_settings.DAILY_CREDIT_BUDGET)]
    if source == Source.SHOPPER:
        scopes.append((SHOPPER, tryon_settings.SHOPPER_DAILY_CREDIT_BUDGET))
    return scopes


def day_of(moment: datetime.datetime | None = None) -> datetime.date:
    """The budget day of a moment: its date in the shop's time zone."""
    return timezone.localdate(moment or timezone.now())


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    next_day = day + datetime.timedelta(days=1)
    end = timezone.make_aware(datetime.datetime.combine(next_day, datetime.time.min))
    return start, end


def committed_by_jobs(day: datetime.date, scope: str = ALL) -> int:
    """Credits of the jobs created on ``day``: active ones at their estimate, ended ones
    at what they were charged. What a day's row starts from."""
    start, end = _day_bounds(day)
    jobs = TryOnJob.objects.filter(created_at__gte=start, created_at__lt=end)
    if scope == SHOPPER:
        jobs = jobs.filter(source=Source.SHOPPER)
    total = jobs.aggregate(
        total=Sum(
            Case(
                When(status__in=ACTIVE_STATUSES, then=F("estimated_credits")),
                default=F("credits_charged"),
            )
        )
    )["total"]
    return int(total or 0)


def committed(scope: str = ALL, day: datetime.date | None = None) -> int:
    """Credits committed in ``scope`` on ``day`` (today), as the budget counts them."""
    day = day or day_of()
    row = CreditBudget.objects.filter(day=day, scope=scope).values_list("committed", flat=True)
    found = row.first()
    return committed_by_jobs(day, scope) if found is None else int(found)


def exceeded() -> ValidationError:
    return ValidationError(
        _("Today's try-on budget is used up. Please try again tomorrow."),
        code=ErrorCode.BUDGET_EXCEEDED,
    )


def fits(credits: int, *, source: str) -> bool:
    """Whether ``credits`` more would fit today's budgets now (a forecast, not a promise)."""
    return all(
        limit is None or committed(scope) + credits <= limit for scope, limit in _scopes(source)
    )


def _take(day: datetime.date, scope: str, credits: int, limit: int) -> bool:
    rows = CreditBudget.objects.filter(day=day, scope=scope, committed__lte=limit - credits)
    return bool(rows.update(committed=F("committed") + credits))


def reserve(credits: int, *, source: str, at: datetime.datetime | None = None) -> datetime.date:
    """Commit ``credits`` against the budgets of the day of ``at`` (now), or raise
    ``ValidationError`` (code ``budget_exceeded``) and commit nothing. Returns that day."""
    day = day_of(at)
    if credits <= 0:
        return day  # nothing to take: never refused
    scopes = _scopes(source)
    limits = {scope: limit for scope, limit in scopes if limit is not None}
    if unlimited := [scope for scope, limit in scopes if limit is None]:
        # Deletes nothing (and locks nothing) but on the day a limit was removed.
        CreditBudget.objects.filter(day=day, scope__in=unlimited).delete()
    if not limits:
        return day
    with transaction.atomic():
        for scope, limit in limits.items():
            if credits > limit:
                raise exceeded()
            if _take(day, scope, credits, limit):
                continue
            if not CreditBudget.objects.filter(day=day, scope=scope).exists():
                # The day's first job in this scope: its row starts from the day's jobs.
                CreditBudget.objects.bulk_create(
                    [CreditBudget(day=day, scope=scope, committed=committed_by_jobs(day, scope))],
                    ignore_conflicts=True,  # another request made it meanwhile: theirs counts
                )
            # Decide on the row now that it exists (it may have been made since the UPDATE).
            if _take(day, scope, credits, limit):
                continue
            raise exceeded()  # rolls back what the other scope took
    return day


def release(credits: int, *, source: str, day: datetime.date) -> None:
    """Give back credits ``reserve`` took for a job that was never created."""
    _adjust(-credits, source=source, day=day)


@contextmanager
def reserved(credits: int, *, source: str, at: datetime.datetime | None = None) -> Iterator[None]:
    """``reserve`` for the block: given back when the block raises."""
    day = reserve(credits, source=source, at=at)
    try:
        yield
    except BaseException:
        release(credits, source=source, day=day)
        raise


def settle(job: TryOnJob) -> None:
    """A job ended: from now on it counts what it was charged instead of its estimate."""
    delta = job.credits_charged - job.estimated_credits
    if delta:
        _adjust(delta, source=job.source, day=day_of(job.created_at))


def _adjust(delta: int, *, source: str, day: datetime.date) -> None:
    for scope, _limit in _scopes(source):
        # A day without a row yet starts from the jobs, which already count this.
        CreditBudget.objects.filter(day=day, scope=scope).update(
            committed=Greatest(F("committed") + delta, 0)
        )
