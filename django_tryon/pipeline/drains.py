"""Drains: tasks that advance due jobs one after another until none is left.

Every kind of new work is taken up by drains (see ``wakeups``). A burst sends one drain
message, not one per job; while more than one job is due, a running drain keeps one more
queued, so every worker drains while the queue is long and a worker that dies mid-step
leaves the rest to another. Past its budget a drain hands over to a fresh task.
"""

from __future__ import annotations

import time
from collections import deque
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from ..conf import tryon_settings
from ..models import TryOnJob
from .aliases import AliasPolicy
from .claims import claim_read_many, renew, start_lease
from .leases import DRAIN_LEASE, unmark_queued
from .states import Step, Taker, step_q, taken_by
from .steps import run
from .wakeups import batched, ensure_drain, ensure_ticker

# Due rows a drain reads at once. Finding the oldest due jobs reads every due row (5,000
# pending: ~20 ms on Postgres), whatever the LIMIT: a larger batch spreads that cost.
DRAIN_BATCH = 100
# A drain claims as many jobs at once as it steps through in about CHUNK_SECONDS (at most
# CHUNK_MAX; the first claim takes one): one write claims a chunk, and a worker that dies
# strands no more than that much work until the leases end.
CHUNK_SECONDS = 0.25
CHUNK_MAX = 25


def drainable(now: Any, policy: AliasPolicy, free: dict[str, int]) -> QuerySet[TryOnJob]:
    """Due jobs whose next step is a drain's (``states.TABLE``), as the alias policy allows.

    A start waits while its alias's verdict is to wait or its cap is full. A job never
    started is due whatever its ``next_check_at`` says: that was set by the clock of the
    host that created it.
    """
    due = Q(next_check_at__lte=now)
    wanted = [
        step_q(step) & (due | Q(attempts=0)) & policy.startable(free)
        if step == Step.START
        else step_q(step) & due
        for step in taken_by(Taker.DRAIN)
    ]
    # active() repeats the statuses at the top, where the (status, next_check_at) index serves.
    return TryOnJob.objects.active().unleased(now).filter(reduce(or_, wanted))


def due_for_drain(policy: AliasPolicy | None = None) -> list[TryOnJob]:
    """The oldest due jobs that a drain takes up (read, not leased), oldest first."""
    policy = policy or AliasPolicy()
    free = policy.free_slots()
    # Their ids first, then the rows: joining before the LIMIT would sort every wide row
    # (and MySQL refuses a LIMIT inside IN, so the ids are read, not nested).
    oldest = drainable(timezone.now(), policy, free).order_by("next_check_at", "pk")
    rows = oldest.values_list("pk", "provider", "status")[:DRAIN_BATCH]
    ids = policy.within_caps(rows, free)
    if not ids:
        return []
    return list(
        TryOnJob.objects.select_related("garment", "model_photo")
        .filter(pk__in=ids)
        .order_by("next_check_at", "pk")
    )


def drain(budget: float | None = None) -> int:
    """The drain task: advance due jobs until none is left (``drain_for``); returns the steps."""
    unmark_queued(DRAIN_LEASE)  # from here on, new work sends another drain
    steps, finished = drain_for(tryon_settings.TICK_SECONDS if budget is None else budget)
    if steps and finished and TryOnJob.objects.active().exists():
        # Whatever became of the ticker (its worker killed, its message lost), the jobs this
        # drain moved on will need polling: the ticker is woken here, not only by the sweep.
        # One UPDATE, which does nothing while a ticker runs or is queued.
        ensure_ticker()
    return steps


def drain_for(budget: float) -> tuple[int, bool]:
    """Advance due jobs one step each, oldest first, until none is left or ``budget``
    seconds have passed; returns the steps, and whether none was left.

    Jobs are claimed a chunk at a time (``claim_read_many``), sized as it goes. Past its
    budget a drain hands over to a fresh task, so no task runs into the cluster's timeout
    (``tryon.E007`` keeps it above the budget plus the longest call).
    """
    policy = AliasPolicy()
    stop_at = time.monotonic() + budget
    steps, size = 0, 1
    while batch := deque(due_for_drain(policy)):
        if len(batch) > 1:
            # More work than this drain's next step: have another drain queued, to help on
            # another worker, and to go on at once should this worker die mid-step.
            ensure_drain()
        take, claimed = batch.popleft, 0
        while batch:
            held = claim_read_many([take() for _ in range(min(size, len(batch)))])
            if not held:
                # Another drain works this batch from this end: go on from the other one,
                # so that the two meet in the middle instead of colliding at every chunk.
                take = batch.pop if take == batch.popleft else batch.popleft
                continue
            began = time.monotonic()
            with batched():  # a chunk of submits wakes the ticker once
                for job in held:
                    # A chunk that took long to work through (its new jobs' short lease
                    # half gone): is each job still ours?
                    late = time.monotonic() - began > start_lease().total_seconds() / 2
                    if late and not renew(job):
                        continue
                    run(job, policy=policy)
                    steps, claimed = steps + 1, claimed + 1
            per_step = (time.monotonic() - began) / len(held)
            size = max(1, min(CHUNK_MAX, 2 * size, int(CHUNK_SECONDS / max(per_step, 1e-6))))
            if time.monotonic() >= stop_at:
                ensure_drain()
                return steps, False
        if not claimed:
            break  # others took every job read: they are on this queue already
    return steps, True
