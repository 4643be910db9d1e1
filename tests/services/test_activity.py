"""What the overview reports: 30 zero-filled days, credits by alias, queue, paused, batches."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from django_tryon.models import Status, TryOnBatch, TryOnJob
from django_tryon.services import activity
from tests.admin.support import pause

pytestmark = pytest.mark.django_db


def job(days_ago=0, **fields):
    fields.setdefault("category", "upper_body")
    fields.setdefault("provider", "sandbox")
    return TryOnJob.objects.create(created_at=timezone.now() - timedelta(days=days_ago), **fields)


def test_jobs_per_day_fills_every_day():
    job(status=Status.SUCCEEDED)
    job(status=Status.FAILED)
    job(days_ago=2, status=Status.SUCCEEDED)
    job(days_ago=40, status=Status.SUCCEEDED)  # out of the window
    series = activity.jobs_per_day(30)
    assert len(series.days) == 30 and series.days[-1] == timezone.localdate()
    assert series.values[Status.SUCCEEDED][-1] == 1 and series.values[Status.FAILED][-1] == 1
    assert series.values[Status.SUCCEEDED][-3] == 1
    assert series.total(Status.SUCCEEDED) == 2
    assert series.day_totals()[-1] == 2


def test_credits_per_day_by_alias():
    job(credits_charged=25, provider="magichour")
    job(credits_charged=1, provider="sandbox", days_ago=1)
    job(credits_charged=0, provider="changeclothes")
    series = activity.credits_per_day(30)
    assert sorted(series.keys) == ["magichour", "sandbox"]
    assert series.values["magichour"][-1] == 25 and series.values["sandbox"][-2] == 1


def test_queue_and_paused_aliases():
    job(status=Status.PENDING)
    job(status=Status.RUNNING)
    job(status=Status.PENDING, provider="premium")
    job(status=Status.SUCCEEDED)
    assert activity.queue_by_alias() == {
        "premium": {"pending": 1, "running": 0},
        "sandbox": {"pending": 1, "running": 1},
    }
    assert activity.queue().count() == 3
    pause("premium", "Out of credits.")
    [paused] = activity.paused_aliases()
    assert (paused.alias, paused.reason, paused.waiting) == ("premium", "Out of credits.", 1)
    assert paused.name == "premium"  # not configured in these settings: its alias stands in


def test_recent_batches_count_their_jobs():
    batch = TryOnBatch.objects.create(provider="sandbox")
    failed = job(batch=batch, status=Status.FAILED)
    job(batch=batch, status=Status.SUCCEEDED, credits_charged=1, retry_of=failed)
    job(batch=batch, status=Status.RUNNING)
    [row] = activity.recent_batches()
    assert (row.jobs_total, row.jobs_active, row.jobs_failed, row.credits) == (3, 1, 0, 1)
