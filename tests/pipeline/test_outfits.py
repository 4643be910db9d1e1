"""Outfits on the pipeline: one call where the provider takes every garment, a chain of
calls otherwise, each surviving worker deaths and redelivery like a single job."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from django_tryon import budget, pipeline
from django_tryon.models import CreditBudget, Status, TryOnJob
from django_tryon.pipeline import outfits
from django_tryon.providers.sandbox import SandboxProvider
from django_tryon.services import cancel_job, request_outfit
from django_tryon.testing.queue import run_queued_tasks
from tests.fixtures import create_garment

pytestmark = pytest.mark.django_db(transaction=True)

COUNTING = "tests.pipeline.test_outfits.CountingSandbox"


class CountingSandbox(SandboxProvider):
    """The sandbox, recording every create it is asked for (the provider's side of the story)."""

    created: list = []

    def submit(self, request):
        CountingSandbox.created.append(request)
        return super().submit(request)


class WorkerDied(BaseException):
    """What killing a worker looks like from inside it: nothing after this runs."""


@pytest.fixture(autouse=True)
def _fresh_counts():
    CountingSandbox.created = []


@pytest.fixture
def trousers(product):
    return create_garment(product, name="Chinos", category="lower_body", description="beige chinos")


@pytest.fixture
def counting(sandbox):
    """``counting(**options)``: the one alias ``sandbox``, recording its creates."""

    def configure(**options):
        sandbox(BACKEND=COUNTING, **options)

    return configure


def expire_lease(job):
    """The worker holding ``job`` is gone and its lease ran out."""
    past = timezone.now() - timedelta(seconds=1)
    TryOnJob.objects.filter(pk=job.pk).update(lease_until=past, next_check_at=past)


def test_a_provider_that_takes_every_garment_makes_an_outfit_in_one_call(
    garment, trousers, model_photo, counting, drive, fresh
):
    counting()  # the sandbox puts up to 4 garments on at once
    job = request_outfit([garment, trousers], model_photo)
    assert job.outfit_size == 2 and job.estimated_credits == 1
    assert drive() == 0
    assert fresh(job).status == Status.SUCCEEDED and job.result
    assert job.credits_charged == 1 and job.attempts == 1
    [call] = CountingSandbox.created
    assert [g.category for g in call.garments] == ["upper_body", "lower_body"]
    assert job.outfit_garments() == [garment, trousers]


def test_one_garment_per_call_chains_the_calls_on_each_result(
    garment, trousers, model_photo, counting, drive, fresh
):
    counting(MAX_GARMENTS=1)
    job = request_outfit([garment, trousers], model_photo)
    assert job.estimated_credits == 2  # the cost shown is the sum of the calls
    assert drive() == 0
    assert fresh(job).status == Status.SUCCEEDED and job.result
    assert job.credits_charged == 2 and job.attempts == 2
    first, second = CountingSandbox.created
    assert [g.category for g in first.garments] == ["upper_body"]
    assert [g.category for g in second.garments] == ["lower_body"]
    # The second call starts from the first call's picture, not from the model photo.
    with job.outfit_image.open("rb") as picture:
        assert second.person.content == picture.read()
    assert first.person.content != second.person.content
    assert job.outfit_done == 1
    assert [c["garments"] for c in job.provider_data["outfit_calls"]] == [1]


def first_call_only(job, lose_messages):
    """One worker takes the outfit's first call to its end, and nothing else runs."""
    lose_messages(started=True)
    pipeline.advance(job.pk)


def test_between_calls_the_job_is_queued_for_its_next_call(
    garment, trousers, model_photo, counting, fresh, lose_messages
):
    counting(MAX_GARMENTS=1)
    job = request_outfit([garment, trousers], model_photo)
    first_call_only(job, lose_messages)
    # The first call's picture is stored; the job waits for its second call, with no id yet.
    assert fresh(job).status == Status.PENDING and not job.provider_job_id
    assert job.outfit_done == 1 and job.outfit_image and not job.result
    assert job.credits_charged == 1 and job.next_check_at <= timezone.now()
    assert job.lease_owner == "" and len(CountingSandbox.created) == 1
    assert pipeline.next_step(job) == pipeline.Step.START


def test_a_worker_dying_after_storing_a_calls_picture_creates_nothing_twice(
    garment, trousers, model_photo, counting, drive, fresh, monkeypatch
):
    counting(MAX_GARMENTS=1)
    job = request_outfit([garment, trousers], model_photo)

    def die(*args, **kwargs):
        raise WorkerDied

    monkeypatch.setattr(outfits, "continue_chain", die)
    with pytest.raises(WorkerDied):
        run_queued_tasks()
    assert fresh(job).status == Status.RUNNING and job.outfit_done == 0
    assert len(CountingSandbox.created) == 1
    monkeypatch.undo()
    expire_lease(job)
    assert drive() == 0
    assert fresh(job).status == Status.SUCCEEDED
    assert len(CountingSandbox.created) == 2  # one create per call, whatever happened
    assert job.credits_charged == 2


def test_a_worker_dying_while_submitting_the_second_call_is_taken_over(
    garment, trousers, model_photo, counting, drive, fresh, monkeypatch
):
    counting(MAX_GARMENTS=1)
    job = request_outfit([garment, trousers], model_photo)
    real_submit = CountingSandbox.submit

    def dies_on_second_call(self, request):
        if request.garments[0].category == "lower_body":
            raise WorkerDied
        return real_submit(self, request)

    monkeypatch.setattr(CountingSandbox, "submit", dies_on_second_call)
    with pytest.raises(WorkerDied):
        drive()
    assert fresh(job).status == Status.RUNNING and not job.provider_job_id
    assert job.outfit_done == 1
    monkeypatch.undo()
    expire_lease(job)
    assert drive() == 0
    assert fresh(job).status == Status.SUCCEEDED
    # The one window where a create may happen twice, counted like a single job's.
    assert job.provider_data["uncertain_submissions"] == 1


def test_redelivered_messages_never_create_a_call_twice(
    garment, trousers, model_photo, counting, drive, fresh
):
    counting(MAX_GARMENTS=1, LATENCY=0.2)
    job = request_outfit([garment, trousers], model_photo)
    for _ in range(3):
        run_queued_tasks()
        pipeline.advance(job.pk)
        pipeline.advance(job.pk)
    assert drive() == 0
    pipeline.advance(job.pk)
    assert fresh(job).status == Status.SUCCEEDED
    assert len(CountingSandbox.created) == 2


def test_a_lost_message_between_calls_is_recovered_by_the_sweep(
    garment, trousers, model_photo, counting, drive, fresh, lose_messages, monkeypatch
):
    counting(MAX_GARMENTS=1)
    job = request_outfit([garment, trousers], model_photo)
    monkeypatch.setattr(outfits, "ensure_drain", lambda: None)  # the next call's message is lost
    first_call_only(job, lose_messages)
    monkeypatch.undo()
    assert fresh(job).status == Status.PENDING and job.outfit_done == 1
    pipeline.sweep()
    assert drive() == 0
    assert fresh(job).status == Status.SUCCEEDED and len(CountingSandbox.created) == 2


def test_a_failed_second_call_fails_the_outfit_and_the_budget_keeps_what_was_charged(
    garment, product, model_photo, counting, drive, fresh, settings
):
    settings.TRYON = {**settings.TRYON, "DAILY_CREDIT_BUDGET": 10}
    counting(MAX_GARMENTS=1)
    skirt = create_garment(product, category="lower_body", description="skirt [sandbox:no_person]")
    job = request_outfit([garment, skirt], model_photo)
    assert budget.committed() == 2  # the sum is reserved up front
    assert drive() == 0
    assert fresh(job).status == Status.FAILED and job.error_code == "no_person"
    assert job.credits_charged == 1  # the first call was paid, the failed one not
    assert CreditBudget.objects.get(scope=budget.ALL).committed == 1


def test_the_budget_reserves_the_sum_of_the_calls(
    garment, trousers, model_photo, counting, settings
):
    settings.TRYON = {**settings.TRYON, "DAILY_CREDIT_BUDGET": 3}
    counting(MAX_GARMENTS=1)
    request_outfit([garment, trousers], model_photo)
    assert budget.committed() == 2
    with pytest.raises(ValidationError) as refused:
        request_outfit([garment, trousers], model_photo, reuse=False)
    assert refused.value.code == "budget_exceeded"
    assert budget.committed() == 2


def test_cancel_between_calls_stops_the_chain(
    garment, trousers, model_photo, counting, drive, fresh, lose_messages
):
    counting(MAX_GARMENTS=1)
    job = request_outfit([garment, trousers], model_photo)
    first_call_only(job, lose_messages)
    assert cancel_job(fresh(job))
    assert drive() == 0
    assert fresh(job).status == Status.CANCELED and len(CountingSandbox.created) == 1
    assert job.credits_charged == 1


def test_deleting_an_outfit_deletes_its_chain_picture(
    garment, trousers, model_photo, counting, drive, fresh
):
    counting(MAX_GARMENTS=1)
    job = request_outfit([garment, trousers], model_photo)
    drive()
    fresh(job)
    storage = job.outfit_image.storage
    names = [job.outfit_image.name, job.result.name]
    assert all(storage.exists(n) for n in names)
    job.delete()
    assert not any(storage.exists(n) for n in names)
