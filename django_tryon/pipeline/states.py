"""The state machine, once: which step a job's row calls for, and who takes that step.

``TABLE`` is the only place the columns are read for this. ``next_step(job)`` reads a job
in Python (what a worker does with a job it claimed); ``Step.q()`` is the same row as a
query (what drains and the ticker look for). Each row names who takes the step.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db.models import Q

from ..models import Status, TryOnJob


class Step(StrEnum):
    START = "start"  # take a slot at the alias, then submit
    RESUBMIT = "resubmit"  # running without a provider job id: its worker died submitting
    POLL = "poll"  # ask the provider how the job is doing
    FETCH = "fetch"  # stream the result into storage and finish


class Taker(StrEnum):
    DRAIN = "drain"  # a drain task, which advances due jobs one after another
    TICKER = "ticker"  # the one ticker, which polls in batches


@dataclass(frozen=True)
class Row:
    """One row of the table: a job in ``status``, with a provider job id or not (None: either),
    with a result ready or not (None: either), has ``step`` next, taken by ``taker``."""

    step: Step
    status: str
    submitted: bool | None
    ready: bool | None
    taker: Taker

    def matches(self, job: TryOnJob) -> bool:
        return (
            job.status == self.status
            and (self.submitted is None or bool(job.provider_job_id) == self.submitted)
            and (self.ready is None or (job.result_ready_at is not None) == self.ready)
        )

    def q(self) -> Q:
        where = Q(status=self.status)
        if self.submitted is not None:
            where &= ~Q(provider_job_id="") if self.submitted else Q(provider_job_id="")
        if self.ready is not None:
            where &= Q(result_ready_at__isnull=not self.ready)
        return where


TABLE = (
    Row(Step.START, Status.PENDING, None, None, Taker.DRAIN),
    Row(Step.RESUBMIT, Status.RUNNING, False, None, Taker.DRAIN),
    Row(Step.POLL, Status.RUNNING, True, False, Taker.TICKER),
    Row(Step.FETCH, Status.RUNNING, True, True, Taker.DRAIN),
)
ROWS = {row.step: row for row in TABLE}


def next_step(job: TryOnJob) -> Step | None:
    """The step ``job``'s row calls for; None once it has ended."""
    for row in TABLE:
        if row.matches(job):
            return row.step
    return None


def step_q(step: Step) -> Q:
    """Jobs whose next step is ``step``, as a query (the same row as ``next_step`` reads)."""
    return ROWS[step].q()


def taken_by(taker: Taker) -> tuple[Step, ...]:
    return tuple(row.step for row in TABLE if row.taker == taker)


def deadline_passed(job: TryOnJob, now: Any) -> bool:
    """Whatever its step, an active job past its deadline fails instead (``deadline_exceeded``)."""
    return job.deadline_at is not None and now >= job.deadline_at
