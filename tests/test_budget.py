"""The daily credit budgets: one ledger row per day and scope, taken by conditional UPDATE.

A job takes its estimate when it is created and is settled to what it was charged when
it ends; a job that never comes to exist gives its credits back. The concurrent case,
against a real server, is tests/reliability/test_budget_burst.py.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from django_tryon import budget
from django_tryon.models import CreditBudget, ShopperPhoto, Source, Status, TryOnJob
from django_tryon.pipeline import cancel
from django_tryon.services import request_tryon
from django_tryon.services.jobs import _request_tryon  # shopper plumbing: source, owner
from tests.fixtures import make_image

pytestmark = pytest.mark.django_db

SANDBOX = "django_tryon.providers.sandbox.SandboxProvider"


@pytest.fixture
def costly(settings):
    """Sandbox jobs that cost 3 credits, and a way to change their outcome."""

    def configure(**options):
        settings.TRYON = {
            **settings.TRYON,
            "PROVIDERS": {"sandbox": {"BACKEND": SANDBOX, "LATENCY": 0, "COST": 3, **options}},
        }

    configure()
    return configure


def shopper_photo(n: int) -> bytes:
    return make_image((640, 800), color=(n * 9 % 255, 80, 120))


def test_a_new_job_takes_its_estimate(costly, garment, model_photo):
    request_tryon(garment, model_photo)
    _request_tryon(garment, shopper_photo(1), source=Source.SHOPPER, owner="o")
    assert budget.committed(budget.ALL) == 6 and budget.committed(budget.SHOPPER) == 3


def test_a_days_row_starts_from_that_days_jobs(costly, settings, garment, model_photo):
    settings.TRYON = {**settings.TRYON, "DAILY_CREDIT_BUDGET": 1000}
    TryOnJob.objects.create(category="upper_body", provider="sandbox", estimated_credits=40)
    request_tryon(garment, model_photo)
    assert CreditBudget.objects.get(scope=budget.ALL).committed == 43


def test_without_a_limit_no_row_queues_the_jobs(costly, settings, garment, model_photo):
    # Every new job would update (and wait for the lock of) the day's row, in every process.
    request_tryon(garment, model_photo)
    assert not CreditBudget.objects.exists()
    assert budget.committed(budget.ALL) == 3  # still known: counted from the day's jobs


def test_a_limit_set_again_counts_from_the_jobs_not_from_a_stale_row(
    costly, settings, garment, model_photo
):
    settings.TRYON = {**settings.TRYON, "DAILY_CREDIT_BUDGET": 1000}
    request_tryon(garment, model_photo, options={"n": 1})
    settings.TRYON = {**settings.TRYON, "DAILY_CREDIT_BUDGET": None}
    request_tryon(garment, model_photo, options={"n": 2})  # the limit removed: its row goes
    settings.TRYON = {**settings.TRYON, "DAILY_CREDIT_BUDGET": 1000}
    request_tryon(garment, model_photo, options={"n": 3})
    assert CreditBudget.objects.get(scope=budget.ALL).committed == 9


def test_the_limit_is_exact(costly, settings, garment):
    settings.TRYON = {**settings.TRYON, "SHOPPER_DAILY_CREDIT_BUDGET": 7}
    for n in range(2):
        _request_tryon(garment, shopper_photo(n), source=Source.SHOPPER, owner="o")
    with pytest.raises(ValidationError) as refused:  # 6 + 3 > 7
        _request_tryon(garment, shopper_photo(3), source=Source.SHOPPER, owner="o")
    assert refused.value.code == "budget_exceeded"
    # Refused by the shopper budget: the all-jobs row gave back what it had taken.
    assert budget.committed(budget.ALL) == budget.committed(budget.SHOPPER) == 6


def test_a_failed_job_gives_back_what_it_was_not_charged(costly, garment, model_photo, drive):
    costly(OUTCOME="no_person")
    job = request_tryon(garment, model_photo)
    drive()
    job.refresh_from_db()
    assert (job.status, job.credits_charged) == (Status.FAILED, 0)
    assert budget.committed() == 0 == budget.committed_by_jobs(budget.day_of())


def test_a_finished_job_counts_what_it_was_charged(costly, garment, model_photo, drive):
    job = request_tryon(garment, model_photo)
    drive()
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED
    assert budget.committed() == job.credits_charged == budget.committed_by_jobs(budget.day_of())


def test_a_canceled_job_gives_back_its_estimate(costly, garment, jpeg_photo):
    job = _request_tryon(garment, jpeg_photo, source=Source.SHOPPER, owner="o")
    assert budget.committed(budget.SHOPPER) == 3
    assert cancel(job)
    assert budget.committed(budget.SHOPPER) == 0 == budget.committed(budget.ALL)
    assert not cancel(job)  # settled once
    assert budget.committed(budget.ALL) == 0


def test_a_reused_result_takes_nothing(costly, garment, model_photo, drive):
    request_tryon(garment, model_photo)
    drive()
    spent = budget.committed()
    again = request_tryon(garment, model_photo)
    assert again.reused_from is not None and budget.committed() == spent


def test_a_job_that_fails_to_be_created_gives_its_credits_back(
    costly, garment, jpeg_photo, monkeypatch
):
    from django_tryon.services import jobs, photos

    def broken_save(*args, **kwargs):
        raise OSError("storage down")

    broken = lambda: type("S", (), {"save": broken_save})()  # noqa: E731
    monkeypatch.setattr(jobs, "get_private_storage", broken)
    monkeypatch.setattr(photos, "get_private_storage", broken)  # a shopper's visit photo
    with pytest.raises(OSError):
        _request_tryon(garment, jpeg_photo, source=Source.SHOPPER, owner="o")
    assert not TryOnJob.objects.exists() and not ShopperPhoto.objects.exists()
    assert budget.committed(budget.SHOPPER) == 0 == budget.committed(budget.ALL)


def test_a_merchant_batch_takes_its_credits_at_once(costly, settings, garment, model_photo):
    from django_tryon.services import generate

    settings.TRYON = {**settings.TRYON, "DAILY_CREDIT_BUDGET": 5}
    with pytest.raises(ValidationError) as refused:
        generate([garment], [model_photo, model_photo], "sandbox")  # 2 x 3 > 5
    assert refused.value.code == "budget_exceeded" and not TryOnJob.objects.exists()
    generate([garment], [model_photo], "sandbox")
    assert budget.committed() == 3


def test_deleting_a_product_gives_back_its_active_jobs_estimates(costly, garment, model_photo):
    request_tryon(garment, model_photo)
    assert budget.committed(budget.ALL) == 3
    garment.product.delete()  # the garments and their jobs go with it
    assert not TryOnJob.objects.exists()
    assert budget.committed(budget.ALL) == 0
