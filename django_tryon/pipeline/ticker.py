"""The ticker and the sweep: scheduled work that keeps every active job moving.

The *ticker* is one self-rescheduling task, held by a lease so only one runs at a time on
all hosts. It polls due jobs in batches (waiting on a provider never holds a worker per
job) and sends a drain when due jobs are a drain's. The periodic *sweep* restarts the
ticker and the drains should their messages have been lost, and enforces the deadline.
"""

from __future__ import annotations

import time

from django.db.models import Min
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from ..conf import tryon_settings
from ..models import TryOnJob
from ..providers.base import PermanentError
from .aliases import AliasPolicy
from .claims import claim
from .drains import drainable
from .leases import TICK_LEASE, acquire_lease, create_leases, release_lease
from .outcomes import finish_failed
from .states import Step, step_q
from .steps import poll_for_ticker, run
from .wakeups import ensure_drain, ensure_ticker

# How long past its budget a ticker's lease lasts. A ticker that dies (a killed worker, a
# dropped database connection) holds polling up for this long at most; a second ticker
# overlapping a slow one only repeats some reads, since each job it polls is claimed.
TICK_GRACE = 15.0
# Shortest pause between two ticker passes, so a busy queue does not spin on the database.
MIN_NAP = 0.05


def tick(budget: float | None = None) -> None:
    """Poll due running jobs and send drains for other due jobs, for up to ``budget`` seconds.

    One ticker at a time (lease). It re-enqueues itself while active jobs remain, so a
    worker is only ever held by this one task, never by each job in flight.
    """
    budget = tryon_settings.TICK_SECONDS if budget is None else budget
    owner = acquire_lease(TICK_LEASE, budget + TICK_GRACE)
    if owner is None:
        return
    try:
        stop_at = time.monotonic() + budget
        while True:
            polled = tick_once()
            if time.monotonic() >= stop_at:
                break
            nap = seconds_to_next_due()
            if nap is None or nap > budget:
                break
            if not polled:
                # Jobs due already and not polled are a drain's (sent) or wait for a slot or
                # an admin: look again after a poll interval, not at once.
                pause = max(nap, MIN_NAP) if nap > 0 else tryon_settings.POLL_INTERVAL
                left = max(0.0, stop_at - time.monotonic())
                # No drain here: a worker killed in a drain's step would take the ticker
                # (and all polling) down with it until its lease ends.
                time.sleep(min(pause, left, tryon_settings.POLL_INTERVAL))
    finally:
        release_lease(TICK_LEASE, owner)
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
    """One pass: poll the due polls (``Step.POLL``), and send a drain if any due job is a
    drain's. Returns how many jobs were polled."""
    now = timezone.now()
    policy = AliasPolicy()
    to_poll = list(
        TryOnJob.objects.due(now)
        .filter(step_q(Step.POLL))
        .order_by("next_check_at", "pk")
        .values_list("pk", flat=True)[: tryon_settings.POLL_BATCH_SIZE]
    )
    for pk in to_poll:
        job = claim(pk)
        if job is not None:
            run(job, poll_for_ticker, policy)
    if drainable(timezone.now(), policy, policy.free_slots()).exists():
        ensure_drain()  # starts, retries, and the results this pass found ready
    return len(to_poll)


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
