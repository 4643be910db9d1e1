"""Helpers of the reliability suite: production-like retry settings, a fast-forward driver."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.test import TestCase
from django.utils import timezone

from django_tryon import pipeline
from django_tryon.models import ProviderState, TryOnJob
from django_tryon.testing.queue import run_queued_tasks
from tests.providers.support import SANDBOX

# Production retry settings (conf.DEFAULTS): the driver below skips the waits instead.
RETRIES = {"BACKOFF_BASE": 2.0, "BACKOFF_MAX": 120.0, "MAX_TRANSIENT_ERRORS": 5}


def reliability_tryon(providers: dict[str, Any], default: str, **extra: Any) -> dict[str, Any]:
    return {
        "DEFAULT_PROVIDER": default,
        "PROVIDERS": {"sandbox": {"BACKEND": SANDBOX, "LATENCY": 0}, **providers},
        "POLL_INTERVAL": 0.05,
        **RETRIES,
        **extra,
    }


@dataclass
class BackoffSpy:
    """Every backoff the pipeline chose: (transient errors so far, Retry-After, delay)."""

    calls: list[tuple[int, float | None, float]] = field(default_factory=list)

    def install(self, monkeypatch: Any) -> BackoffSpy:
        real = pipeline.backoff

        def spy(errors: int, retry_after: float | None = None) -> float:
            delay = real(errors, retry_after)
            self.calls.append((errors, retry_after, delay))
            return delay

        monkeypatch.setattr(pipeline.outcomes, "backoff", spy)
        return self


def _in_test_transaction() -> Any:
    from contextlib import nullcontext

    from django.db import connection

    if connection.in_atomic_block:
        return TestCase.captureOnCommitCallbacks(execute=True)
    return nullcontext()


def settle(job: TryOnJob, *, steps: int = 60) -> TryOnJob:
    """Drive ``job`` until it ends or waits on a paused alias, skipping every wait.

    Each round runs the queued tasks as a worker would, then makes the job due now and
    lets the ticker take it: backoff delays and Retry-After are recorded, not slept.
    """
    for _ in range(steps):
        run_queued_tasks()
        job.refresh_from_db()
        if job.is_terminal or is_paused(job.provider):
            return job
        TryOnJob.objects.filter(pk=job.pk).update(next_check_at=timezone.now())
        with _in_test_transaction():
            pipeline.tick_once()
    raise AssertionError(f"job {job.pk} did not settle: {job.status} {job.error_code}")


def is_paused(alias: str) -> bool:
    return ProviderState.objects.filter(alias=alias, paused_at__isnull=False).exists()


def projects_named(emulator: Any, job: TryOnJob) -> int:
    """Magic Hour projects created for ``job`` (the pipeline names them after the job)."""
    name = f"django-tryon job {job.pk}"
    return sum(1 for project in emulator.projects.values() if project.name == name)


def creates_for(emulator: Any, job: TryOnJob) -> int:
    """Create calls the Magic Hour emulator received for ``job``, answered or not."""
    name = f"django-tryon job {job.pk}"
    count = 0
    for record in list(emulator.requests):
        if record.route != "create":
            continue
        try:
            body = record.json()
        except ValueError:
            continue
        if isinstance(body, dict) and body.get("name") == name:
            count += 1
    return count
