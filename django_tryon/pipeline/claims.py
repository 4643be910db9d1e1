"""Per-job claims: a time-limited lease on a job's row, and writes made only while holding it.

A claim is a conditional UPDATE that writes a random owner token and a lease end; every
write of a step is conditional on that token, so a worker that lost its lease (too slow,
or the job was canceled) changes nothing. Every write that changes a job sets
``updated_at``, so a row read earlier can be leased later without reading it again.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from ..conf import tryon_settings
from ..models import ACTIVE_STATUSES, Status, TryOnJob
from .states import Step, step_q

logger = logging.getLogger("django_tryon.pipeline")

# A pending job claimed in a drain's chunk is held this long until its step starts it
# (and takes the full lease): far longer than the ~0.25 s a chunk takes, and all a killed
# worker holds its chunk's other new jobs up for.
START_LEASE = 5.0


def lease_end(now: Any) -> Any:
    return now + timedelta(seconds=tryon_settings.LEASE_SECONDS)


def deadline_from(now: Any) -> Any:
    """When a job that starts now must have ended."""
    return now + timedelta(seconds=tryon_settings.JOB_DEADLINE)


def claim(job_id: int) -> TryOnJob | None:
    """Lease one active job for this worker, or None when it's terminal or held elsewhere."""
    now = timezone.now()
    taken = (
        TryOnJob.objects.unleased(now)
        .filter(pk=job_id, status__in=ACTIVE_STATUSES)
        .update(lease_owner=secrets.token_hex(8), lease_until=lease_end(now))
    )
    if not taken:
        return None
    return TryOnJob.objects.select_related("garment", "model_photo").get(pk=job_id)


def claim_read(job: TryOnJob) -> bool:
    """Lease a job read earlier, if nobody changed or took it since; True when it's ours."""
    return bool(claim_read_many([job]))


def start_fields(job: TryOnJob, now: Any, *, lease_until: Any) -> dict[str, Any]:
    """What moving a pending job to running writes."""
    return {
        "status": Status.RUNNING,
        "attempts": job.attempts + 1,
        # Due again when the lease ends: a worker that dies from here is taken over then.
        "next_check_at": lease_until,
        # The deadline runs from leaving our queue: waiting for a slot or an admin is no fault.
        "deadline_at": job.deadline_at or deadline_from(now),
    }


def claim_read_many(jobs: list[TryOnJob]) -> list[TryOnJob]:
    """``claim_read`` for several jobs read earlier, in one UPDATE (two for a mix of pending
    and other jobs); returns those now this worker's, in the order given.

    One lease token for them all: each later write is still conditional on it, job by job,
    so a job canceled meanwhile is left alone all the same. A pending job is leased for
    ``START_LEASE`` only, and started by its own step just before it is submitted, in a
    write that takes the full lease: a worker that dies part-way through a chunk leaves
    the rest pending, for a few seconds, and never "died while submitting" (which counts
    an uncertain submission). Other steps write nothing before they call out, so their
    jobs are leased for the full ``LEASE_SECONDS`` here.
    """
    if not jobs:
        return []
    now = timezone.now()
    owner = secrets.token_hex(8)
    rows = TryOnJob.objects.unleased(now)
    taken, ours = 0, set()
    for group, until in (
        ([job for job in jobs if job.status == Status.PENDING], now + start_lease()),
        ([job for job in jobs if job.status != Status.PENDING], lease_end(now)),
    ):
        if group:
            taken += rows.filter(_as_read(group)).update(lease_owner=owner, lease_until=until)
            ours |= {job.pk for job in group}
            for job in group:
                job.lease_until = until
    if not taken:
        return []
    if taken < len(jobs):  # some were taken or changed by others meanwhile
        ours = set(
            TryOnJob.objects.filter(pk__in=ours, lease_owner=owner).values_list("pk", flat=True)
        )
    claimed = [job for job in jobs if job.pk in ours]
    for job in claimed:
        job.lease_owner = owner
    return claimed


def start_lease() -> timedelta:
    """How long a drain's chunk holds a pending job before its step starts it."""
    return timedelta(seconds=min(START_LEASE, tryon_settings.LEASE_SECONDS))


def _as_read(jobs: list[TryOnJob]) -> Q:
    """These rows, only where nobody changed them since they were read."""
    where = Q(pk__in=[])
    for job in jobs:
        where |= Q(pk=job.pk, status=job.status, updated_at=job.updated_at)
    return where


def renew(job: TryOnJob) -> bool:
    """Extend this worker's lease on ``job``; False when it is no longer this worker's."""
    until = lease_end(timezone.now())
    renewed = TryOnJob.objects.filter(pk=job.pk, lease_owner=job.lease_owner).update(
        lease_until=until
    )
    if renewed:
        job.lease_until = until
    return bool(renewed)


def claim_polls(ids: list[int], seconds: float) -> list[TryOnJob]:
    """Lease those of ``ids`` still waiting for a poll, for ``seconds``, in one UPDATE.

    A poll only asks the provider, so two overlapping polls of one job do no harm (each
    write is conditional on the lease): the lease is short, and a ticker that dies while
    polling holds its jobs up for that long only.
    """
    now = timezone.now()
    owner = secrets.token_hex(8)
    taken = (
        TryOnJob.objects.unleased(now)
        .filter(step_q(Step.POLL), pk__in=ids, status__in=ACTIVE_STATUSES)
        .update(lease_owner=owner, lease_until=now + timedelta(seconds=seconds))
    )
    if not taken:
        return []
    return list(TryOnJob.objects.filter(pk__in=ids, lease_owner=owner).order_by("pk"))


def write(job: TryOnJob, *, release: bool = True, unless: Q | None = None, **fields: Any) -> bool:
    """Save ``fields`` if this worker still holds the job's lease; mirror them on ``job``.

    ``unless`` adds a condition under which nothing is written (and False returned).
    """
    if release:
        fields.update(lease_owner="", lease_until=None)
    fields["updated_at"] = timezone.now()
    rows = TryOnJob.objects.filter(pk=job.pk, lease_owner=job.lease_owner)
    written = (rows.exclude(unless) if unless is not None else rows).update(**fields)
    if written:
        for name, value in fields.items():
            setattr(job, name, value)
    elif unless is None:
        logger.warning("Job %s: lease lost, step result dropped", job.pk)
    return bool(written)


def later(seconds: float) -> Any:
    return timezone.now() + timedelta(seconds=seconds)
