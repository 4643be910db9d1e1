"""How work reaches the workers: the messages the pipeline sends, and when.

New work of any kind (one job, a batch, a retry, a failover, a result ready to fetch)
is taken up by *drains*, so a burst of it costs a drain message or two, not one per job.
The ticker is woken when a job will need polling. Only a provider's webhook sends a
message for one job (``advance``): it says that job changed, now.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.utils import timezone

from ..models import Status, TryOnJob
from .leases import DRAIN_LEASE, TICK_LEASE, enqueue, send_once

DRAIN_TASK = "django_tryon.tasks.drain"
TICK_TASK = "django_tryon.tasks.tick"
# Inside ``batched()``: the wake-ups asked for so far, sent once each when the block ends.
_owed: ContextVar[set[str] | None] = ContextVar("tryon_wakeups_owed", default=None)


@contextmanager
def batched() -> Iterator[None]:
    """Wake-ups asked for inside the block are sent once each as it ends: a drain's chunk
    of submits marks the ticker's lease once, not once per job (each mark is a write)."""
    token = _owed.set(set())
    try:
        yield
    finally:
        owed = _owed.get() or set()
        _owed.reset(token)
        for lease, func in ((DRAIN_LEASE, DRAIN_TASK), (TICK_LEASE, TICK_TASK)):
            if lease in owed:
                send_once(lease, func)


def _wake(lease: str, func: str) -> None:
    owed = _owed.get()
    if owed is None:
        send_once(lease, func)
    else:
        owed.add(lease)


def start() -> None:
    """New jobs are due: have a drain take them up once the surrounding transaction commits.

    The one way in for new work: ``request_tryon``, batches and retries all call it.
    """
    transaction.on_commit(ensure_drain)


def ensure_drain() -> None:
    """Send a drain unless one is already on its way (a running drain doesn't count)."""
    _wake(DRAIN_LEASE, DRAIN_TASK)


def ensure_ticker() -> None:
    """Start the ticker unless one runs or is already on its way."""
    _wake(TICK_LEASE, TICK_TASK)


def enqueue_advance(job_id: int) -> None:
    """Have a worker look at one job now (a provider told us it changed)."""
    enqueue("django_tryon.tasks.advance_job", job_id)


def on_provider_event(alias: str, provider_job_id: str) -> bool:
    """A provider told us a job changed: look at it now. False for a job we don't know."""
    pk = (
        TryOnJob.objects.filter(
            provider=alias, provider_job_id=provider_job_id, status=Status.RUNNING
        )
        .values_list("pk", flat=True)
        .first()
    )
    if pk is None:
        return TryOnJob.objects.filter(provider=alias, provider_job_id=provider_job_id).exists()
    TryOnJob.objects.filter(pk=pk).update(next_check_at=timezone.now())
    enqueue_advance(pk)
    return True
