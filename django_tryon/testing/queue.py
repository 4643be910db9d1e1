"""Run queued django-q2 tasks in the test process, for tests that drive the pipeline.

With the ORM broker, ``async_task`` writes a signed package to ``OrmQ``; ``run_queued_tasks``
takes those packages out in order and calls their functions here, as a worker would. The
ticker runs one pass per call instead of sleeping. Tests that need real concurrency,
crashes or another broker start a real ``qcluster`` instead.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from django.utils.module_loading import import_string


def _on_commit_now() -> AbstractContextManager[object]:
    """Inside a test's transaction, run ``on_commit`` callbacks at the end of each step."""
    from django.db import connection
    from django.test import TestCase

    if connection.in_atomic_block:
        return TestCase.captureOnCommitCallbacks(execute=True)
    return nullcontext()


def run_queued_tasks(*, max_tasks: int = 10_000) -> int:
    """Run every waiting task (and those they enqueue) until the queue is empty."""
    from django_q.signing import SignedPackage

    from .. import pipeline

    ran = 0
    while ran < max_tasks:
        package = _waiting().first()
        if package is None:
            break
        task = SignedPackage.loads(package.payload)
        package.delete()
        with _on_commit_now():
            if task["func"] == "django_tryon.tasks.tick":
                pipeline.tick(budget=0)
            else:
                import_string(task["func"])(*task["args"], **task.get("kwargs", {}))
        ran += 1
    return ran


def drive_pipeline(*, timeout: float = 10.0) -> int:
    """Run queued tasks and tick until no job is active (or ``timeout`` seconds pass).

    Jobs waiting on a provider are polled when due, as the ticker would; returns how many
    jobs are still active at the end (0 when everything finished), at once when none will
    be due before the timeout (a paused alias's jobs wait for ``resume_alias``).
    """
    from .. import pipeline
    from ..models import TryOnJob

    stop_at = time.monotonic() + timeout
    while True:
        run_queued_tasks()
        active = TryOnJob.objects.active()
        if not active.exists() or time.monotonic() >= stop_at:
            return active.count()
        with _on_commit_now():
            pipeline.tick(budget=0)  # one pass: what is due is polled, a drain sent if owed
        if _waiting().exists():
            continue
        # Nothing to run until a job is due: wait for it, as the ticker would (not longer,
        # so that a test waits for its jobs, not for a ticker's budget). Jobs that only an
        # outside event moves on (a paused alias resumed) are left as they are at once.
        nap = pipeline.seconds_to_next_due()
        left = stop_at - time.monotonic()
        if nap is None or nap > left:
            return active.count()
        time.sleep(max(MIN_WAIT, min(nap, MAX_WAIT)))


# drive_pipeline's waits while jobs are at the provider: short enough not to add up, long
# enough not to spin on the database.
MIN_WAIT, MAX_WAIT = 0.01, 0.2


def _waiting() -> Any:
    """This cluster's packages waiting in ``OrmQ``, oldest first."""
    from django_q.brokers import get_broker
    from django_q.models import OrmQ

    return OrmQ.objects.filter(key=get_broker().list_key).order_by("pk")


def queued_functions() -> list[str]:
    """Dotted names of the tasks waiting in the queue, oldest first."""
    from django_q.signing import SignedPackage

    packages = _waiting()
    return [SignedPackage.loads(p.payload)["func"] for p in packages]
