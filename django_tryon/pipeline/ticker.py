"""The ticker and the sweep: scheduled work that keeps every active job moving.

The *ticker* is one self-rescheduling task, held by a lease so only one runs at a time on
all hosts. It polls due jobs in batches (waiting on a provider never holds a worker per
job) and sends a drain when due jobs are a drain's. While no poll is due and drains are
owed, it drains too rather than sleep: on a small cluster the worker it holds is a large
share of all. The periodic *sweep* restarts the ticker and the drains should their
messages have been lost, and enforces the deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db.models import Min
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from ..conf import tryon_settings
from ..models import TryOnJob
from ..providers.base import PermanentError
from .aliases import AliasPolicy
from .claims import claim, claim_polls
from .drains import drain_for, drainable
from .leases import TICK_LEASE, acquire_lease, create_leases, release_lease
from .outcomes import finish_failed
from .states import Step, step_q
from .steps import poll_claimed
from .wakeups import ensure_drain, ensure_ticker

# How long past its budget a ticker's lease lasts. A ticker that dies (a killed worker, a
# dropped database connection) holds polling up for this long at most; a second ticker
# overlapping a slow one only repeats some reads, since each job it polls is claimed.
TICK_GRACE = 15.0
# Shortest pause between two ticker passes, so a busy queue does not spin on the database.
MIN_NAP = 0.05
# Polls claimed in one UPDATE and recorded in one transaction.
POLL_CHUNK = 25


class TickerLease:
    """The ticker's lease, which it lets go whenever it calls out (a provider's poll, a
    drain's step), with a tick queued first to take over: a worker killed there then holds
    no polling up, since that tick carries on at once. Back from the call, the ticker
    takes its lease again from the queued mark; should the queued tick have started
    meanwhile, that one is the ticker now and this one stops."""

    def __init__(self) -> None:
        self.owner: str | None = None

    def take(self, seconds: float) -> bool:
        """Take the lease for ``seconds`` (what is left of the budget) and the grace."""
        self.owner = acquire_lease(TICK_LEASE, max(0.0, seconds) + TICK_GRACE)
        return self.owner is not None

    def hand_over(self) -> None:
        if self.owner is not None:
            self.release()
            ensure_ticker()  # marks the lease queued, and sends the tick that takes over

    def release(self) -> None:
        if self.owner is not None:
            release_lease(TICK_LEASE, self.owner)
            self.owner = None


def tick(budget: float | None = None) -> None:
    """Poll due running jobs and send drains for other due jobs, for up to ``budget`` seconds.

    One ticker at a time (lease, let go while it calls out: ``TickerLease``). It
    re-enqueues itself while active jobs remain, so a worker is only ever held by this one
    task, never by each job in flight. While nothing is due for polling and drains are
    owed, it drains for a while rather than sleep: on a small cluster the worker it holds
    is a large share of all.
    """
    budget = tryon_settings.TICK_SECONDS if budget is None else budget
    stop_at = time.monotonic() + budget
    lease = TickerLease()
    if not lease.take(budget):
        return
    try:
        while True:
            polled, drains_due = tick_pass(before_polls=lease.hand_over)
            if lease.owner is None and not lease.take(stop_at - time.monotonic()):
                return  # the queued tick took over while this one polled: it goes on
            if time.monotonic() >= stop_at:
                break
            nap = seconds_to_next_due()
            if nap is None or nap > budget:
                break
            if polled:
                continue
            # Jobs due already and not polled are a drain's, or wait for a slot or an
            # admin: look again after a poll interval at most, not at once.
            pause = max(nap, MIN_NAP) if nap > 0 else tryon_settings.POLL_INTERVAL
            pause = min(pause, max(0.0, stop_at - time.monotonic()), tryon_settings.POLL_INTERVAL)
            if not drains_due:
                time.sleep(pause)
                continue
            lease.hand_over()
            if not drain_for(pause)[0]:
                time.sleep(pause)  # due starts that wait (a cap, a paused alias): no spinning
            if not lease.take(stop_at - time.monotonic()):
                return  # the queued tick took over while this one drained: it goes on
    finally:
        lease.release()
    # Checked after releasing, so a job that just became due is seen here or by ensure_ticker().
    # Jobs due later than one budget away (backoff, paused alias) are the sweep's to wake.
    nap = seconds_to_next_due()
    if nap is not None and nap <= budget:
        ensure_ticker()


def seconds_to_next_due(policy: AliasPolicy | None = None) -> float | None:
    """Seconds until an active job is due for a step someone takes (0: one is due now).

    None when there is none. Starts that wait (a full cap, a paused alias) don't count:
    what ends their wait wakes them (a slot freed by a drain's or the ticker's step, or
    ``resume_alias``), and the sweep looks at them all the same.
    """
    policy = policy or AliasPolicy()
    # A job held by a worker is not due before its lease ends, whatever next_check_at says:
    # without this, a job in a long provider call kept the ticker passing every MIN_NAP.
    due_at = Greatest("next_check_at", Coalesce("lease_until", "next_check_at"))
    takeable = ~step_q(Step.START) | policy.startable(policy.free_slots())
    earliest = TryOnJob.objects.active().filter(takeable).aggregate(at=Min(due_at))["at"]
    if earliest is None:
        return None
    return max(0.0, (earliest - timezone.now()).total_seconds())


def tick_once() -> int:
    """One pass (``tick_pass``); returns how many jobs were polled."""
    return tick_pass()[0]


def tick_pass(before_polls: Callable[[], None] | None = None) -> tuple[int, bool]:
    """One pass: poll the due polls (``Step.POLL``) a chunk at a time, and send a drain if
    any due job is a drain's. ``before_polls`` is called before the first provider is asked.
    Returns how many jobs were polled, and whether a drain is owed."""
    now = timezone.now()
    policy = AliasPolicy()
    to_poll = list(
        TryOnJob.objects.due(now)
        .filter(step_q(Step.POLL))
        .order_by("next_check_at", "pk")
        .values_list("pk", flat=True)[: tryon_settings.POLL_BATCH_SIZE]
    )
    if to_poll and before_polls is not None:
        before_polls()
    for start in range(0, len(to_poll), POLL_CHUNK):
        poll_claimed(claim_polls(to_poll[start : start + POLL_CHUNK], TICK_GRACE), policy)
    drains_due = drainable(timezone.now(), policy, policy.free_slots()).exists()
    if drains_due:
        ensure_drain()  # starts, retries, and the results this pass found ready
    return len(to_poll), drains_due


def sweep() -> dict[str, int]:
    """Fail jobs past their deadline; while jobs are active, make sure the ticker runs (and a
    drain, when one is owed)."""
    create_leases()  # should a row have gone (a flush, a restore), the pipeline heals here
    now = timezone.now()
    policy = AliasPolicy()
    expired = list(
        TryOnJob.objects.active().filter(deadline_at__lt=now).values_list("pk", flat=True)
    )
    for pk in expired:
        job = claim(pk)
        if job is None:  # held by a worker that may be stuck: the deadline wins all the same
            TryOnJob.objects.filter(pk=pk).update(lease_until=None)
            job = claim(pk)
        if job is not None:
            error = PermanentError("deadline_exceeded")
            finish_failed(job, error, provider=policy.provider(job.provider))
    active = TryOnJob.objects.active().exists()
    if active:
        ensure_ticker()
        if drainable(timezone.now(), policy, policy.free_slots()).exists():
            ensure_drain()  # should a drain's message have been lost
    return {"expired": len(expired), "active": int(active)}
