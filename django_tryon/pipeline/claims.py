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
from .aliases import AliasPolicy, paused_aliases

logger = logging.getLogger("django_tryon.pipeline")


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
    return _lease_read(job, timezone.now())


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


def start_read(job: TryOnJob, policy: AliasPolicy | None = None) -> bool:
    """Claim a pending job read earlier and start it, in one UPDATE; True when it's ours.

    This is ``claim_read`` and taking a slot together, for the common case where taking a
    slot is no more than a write: an alias without a cap, not paused, and a deadline not
    passed. False otherwise, or when the row changed: the caller claims it as usual.
    """
    now = timezone.now()
    policy = policy or AliasPolicy()
    if job.status != Status.PENDING or not policy.is_configured(job.provider):
        return False
    if policy.cap(job.provider) or (job.deadline_at is not None and job.deadline_at <= now):
        return False
    start = start_fields(job, now, lease_until=lease_end(now))
    return _lease_read(job, now, unless=Q(provider__in=paused_aliases()), **start)


def _lease_read(job: TryOnJob, now: Any, *, unless: Q | None = None, **also: Any) -> bool:
    """Lease ``job`` (writing ``also`` with it) if its row is still as read; mirror on ``job``."""
    fields = {"lease_owner": secrets.token_hex(8), "lease_until": lease_end(now), **also}
    if also:  # a change of state: a reader of the old row must not claim it after this
        fields["updated_at"] = now
    rows = TryOnJob.objects.unleased(now).filter(
        pk=job.pk, status=job.status, updated_at=job.updated_at
    )
    taken = (rows.exclude(unless) if unless is not None else rows).update(**fields)
    if taken:
        for name, value in fields.items():
            setattr(job, name, value)
    return bool(taken)


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
