"""Every transition of a job, driven in-process as a worker would drive it.

The sandbox provider fails on purpose, deterministically (its OUTCOME option), which is
how each path is reached here.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from django_tryon import pipeline, signals
from django_tryon.models import Lease, ProviderState, Source, Status, TryOnJob
from django_tryon.providers.base import TransientError
from django_tryon.providers.sandbox import SandboxProvider
from django_tryon.services import cancel_job, request_tryon, resume_provider
from django_tryon.services.jobs import _request_tryon  # shopper plumbing: source, owner
from django_tryon.testing.queue import queued_functions, run_queued_tasks
from tests.fixtures import make_image

# Transactional: on_commit enqueues happen as in production, not at the end of a test transaction.
pytestmark = pytest.mark.django_db(transaction=True)


class TimesOutOnCreate(SandboxProvider):
    """A create call that times out: the provider may have made the job all the same."""

    def submit(self, request):
        if request.attempt == 1:
            raise TransientError("timeout")
        return super().submit(request)


def test_a_job_goes_pending_running_succeeded(garment, model_photo, sandbox, drive, fresh):
    sandbox(LATENCY=0.3)
    job = request_tryon(garment, model_photo)
    assert job.status == Status.PENDING and job.next_check_at is not None
    run_queued_tasks()
    assert fresh(job).status == Status.RUNNING
    assert job.provider_job_id.startswith("sbx-") and job.submitted_at and job.attempts == 1
    assert drive() == 0
    assert fresh(job).status == Status.SUCCEEDED
    assert job.result and job.finished_at and job.credits_charged == 1
    assert job.lease_owner == "" and job.next_check_at is None


def test_duplicate_delivery_never_submits_twice(garment, model_photo, sandbox, drive, fresh):
    sandbox(LATENCY=0.3)
    job = request_tryon(garment, model_photo)
    run_queued_tasks()
    first_id = fresh(job).provider_job_id
    # The broker hands the same message out again, twice.
    pipeline.advance(job.pk)
    pipeline.advance(job.pk)
    assert fresh(job).provider_job_id == first_id and job.attempts == 1
    assert drive() == 0
    pipeline.advance(job.pk)  # late redelivery after the end: nothing happens
    assert fresh(job).status == Status.SUCCEEDED and job.provider_job_id == first_id


def test_a_claimed_job_is_not_taken_by_a_second_worker(garment, model_photo):
    job = request_tryon(garment, model_photo)
    assert pipeline.claim(job.pk) is not None
    assert pipeline.claim(job.pk) is None


def test_a_worker_that_lost_its_lease_writes_nothing(garment, model_photo, fresh):
    job = request_tryon(garment, model_photo)
    mine = pipeline.claim(job.pk)
    TryOnJob.objects.filter(pk=job.pk).update(lease_owner="someone-else")
    assert pipeline.write(mine, status=Status.FAILED) is False
    assert fresh(job).status == Status.PENDING


def test_a_lost_task_is_recovered_by_the_sweep_and_ticker(
    garment, model_photo, drive, fresh, lose_messages
):
    job = request_tryon(garment, model_photo)
    lose_messages(started=False)  # the message is lost (e.g. Redis restarted)...
    Lease.objects.filter(name="drain").update(until=timezone.now())  # ...its mark runs out
    pipeline.sweep()
    assert set(queued_functions()) == {"django_tryon.tasks.tick", "django_tryon.tasks.drain"}
    assert drive() == 0
    assert fresh(job).status == Status.SUCCEEDED


def test_a_worker_that_died_while_submitting_is_taken_over_after_its_lease(
    garment, model_photo, drive, fresh, lose_messages
):
    job = request_tryon(garment, model_photo)
    lose_messages(started=True)
    # What a worker leaves behind when killed between taking the slot and the provider's answer.
    TryOnJob.objects.filter(pk=job.pk).update(
        status=Status.RUNNING,
        attempts=1,
        lease_owner="dead",
        lease_until=timezone.now() - timedelta(seconds=1),
        next_check_at=timezone.now() - timedelta(seconds=1),
    )
    assert drive() == 0
    assert fresh(job).status == Status.SUCCEEDED
    assert job.attempts == 2  # the one window where a second submission can happen


def test_a_job_past_its_deadline_fails(garment, model_photo, sandbox, drive, fresh):
    sandbox(OUTCOME="never")
    failed = []
    signals.job_failed.connect(
        lambda **kw: failed.append(kw["error_code"]), weak=False, dispatch_uid="t-deadline"
    )
    try:
        job = request_tryon(garment, model_photo)
        run_queued_tasks()
        assert fresh(job).status == Status.RUNNING
        TryOnJob.objects.filter(pk=job.pk).update(deadline_at=timezone.now() - timedelta(seconds=1))
        assert pipeline.sweep()["expired"] == 1
    finally:
        signals.job_failed.disconnect(dispatch_uid="t-deadline")
    assert fresh(job).status == Status.FAILED and job.error_code == "deadline_exceeded"
    assert "took too long" in job.error_message
    assert failed == ["deadline_exceeded"]


def test_the_deadline_runs_from_leaving_our_queue(garment, model_photo, sandbox, fresh):
    sandbox(MAX_CONCURRENT=1, OUTCOME="never")
    first = request_tryon(garment, model_photo, options={"n": 1})
    waiting = request_tryon(garment, model_photo, options={"n": 2})
    assert first.deadline_at is None  # queued: no clock running yet
    run_queued_tasks()
    assert fresh(first).status == Status.RUNNING and first.deadline_at is not None
    assert fresh(waiting).status == Status.PENDING and waiting.deadline_at is None
    assert pipeline.sweep()["expired"] == 0


def test_a_transient_error_then_success(garment, model_photo, sandbox, settings, drive, fresh):
    sandbox(OUTCOME="transient_once")
    settings.TRYON = {**settings.TRYON, "BACKOFF_BASE": 0.1, "BACKOFF_MAX": 1.0}
    job = request_tryon(garment, model_photo)
    run_queued_tasks()
    fresh(job)
    assert (
        job.status == Status.PENDING
        and job.error_code == "rate_limited"
        and job.transient_errors == 1
    )
    assert job.next_check_at > timezone.now()  # backing off, honouring Retry-After (1 s)
    assert drive(timeout=10) == 0
    assert fresh(job).status == Status.SUCCEEDED
    assert job.attempts == 2 and job.error_code == ""


def test_an_uncertain_create_is_retried_and_counted(garment, model_photo, settings, drive, fresh):
    settings.TRYON = {
        **settings.TRYON,
        "BACKOFF_BASE": 0.05,
        "BACKOFF_MAX": 0.1,
        "PROVIDERS": {"sandbox": {"BACKEND": f"{__name__}.TimesOutOnCreate", "LATENCY": 0}},
    }
    job = request_tryon(garment, model_photo)
    run_queued_tasks()
    assert fresh(job).status == Status.PENDING and job.error_code == "timeout"
    assert job.provider_data["uncertain_submissions"] == 1
    assert drive() == 0
    assert fresh(job).status == Status.SUCCEEDED and job.attempts == 2
    assert job.provider_data["uncertain_submissions"] == 1 and job.transient_errors == 0


def test_transient_errors_are_bounded(garment, model_photo, sandbox, settings, drive, fresh):
    sandbox(OUTCOME="unavailable")
    settings.TRYON = {
        **settings.TRYON,
        "MAX_TRANSIENT_ERRORS": 3,
        "BACKOFF_BASE": 0.05,
        "BACKOFF_MAX": 0.1,
    }
    job = request_tryon(garment, model_photo)
    assert drive(timeout=15) == 0
    assert fresh(job).status == Status.FAILED
    assert job.error_code == "provider_unavailable" and job.transient_errors == 2
    assert job.attempts == 3


@pytest.mark.parametrize(
    ("outcome", "code", "words"),
    [
        ("no_person", "no_person", "couldn't find a person"),
        ("harmful", "harmful_content", "content rules"),
    ],
)
def test_a_permanent_error_fails_at_once_in_plain_words(
    outcome, code, words, garment, model_photo, sandbox, drive, fresh
):
    sandbox(OUTCOME=outcome)
    job = request_tryon(garment, model_photo)
    assert drive() == 0
    assert fresh(job).status == Status.FAILED
    assert job.error_code == code and words in job.error_message
    assert job.attempts == 1 and job.credits_charged == 0  # refunded, never retried


def test_an_account_error_pauses_the_alias_and_the_queue_waits(
    garment, model_photo, sandbox, drive, fresh
):
    sandbox(OUTCOME="account")
    paused = []
    signals.provider_paused.connect(
        lambda **kw: paused.append(kw["code"]), weak=False, dispatch_uid="t-pause"
    )
    try:
        first = request_tryon(garment, model_photo, options={"n": 1})
        second = request_tryon(garment, model_photo, options={"n": 2})
        drive(timeout=1)
    finally:
        signals.provider_paused.disconnect(dispatch_uid="t-pause")
    assert paused == ["insufficient_credits"]  # told once, not once per job
    state = ProviderState.objects.get(alias="sandbox")
    assert state.is_paused and "credits" in state.pause_reason
    assert fresh(first).status == Status.PENDING and first.error_code == "insufficient_credits"
    assert fresh(second).status == Status.PENDING and second.attempts == 0  # never sent

    sandbox(OUTCOME="succeed")  # credits bought
    assert resume_provider("sandbox") == 2
    assert drive() == 0
    assert fresh(first).status == fresh(second).status == Status.SUCCEEDED


def test_a_shopper_is_not_kept_waiting_on_a_paused_alias(
    garment, jpeg_photo, sandbox, drive, fresh
):
    sandbox(OUTCOME="account")
    job = _request_tryon(garment, jpeg_photo, source=Source.SHOPPER)
    later = _request_tryon(
        garment, make_image((700, 900), color=(90, 60, 40)), source=Source.SHOPPER
    )
    drive(timeout=1)
    for shopper_job in (fresh(job), fresh(later)):
        assert shopper_job.status == Status.FAILED and shopper_job.error_code == "provider_paused"
        assert "available right now" in shopper_job.error_message
    assert later.attempts == 0  # never sent to the paused alias


def test_cancel_a_running_job(garment, model_photo, sandbox, fresh):
    sandbox(OUTCOME="never")
    job = request_tryon(garment, model_photo)
    run_queued_tasks()
    assert cancel_job(fresh(job)) is True
    assert fresh(job).status == Status.CANCELED and job.finished_at
    pipeline.advance(job.pk)
    assert fresh(job).status == Status.CANCELED
    assert cancel_job(job) is False


def test_the_concurrency_cap_keeps_jobs_waiting_in_order(
    garment, model_photo, sandbox, drive, fresh
):
    sandbox(LATENCY=0.2, MAX_CONCURRENT=1)
    jobs = [request_tryon(garment, model_photo, options={"n": i}) for i in range(3)]
    run_queued_tasks()
    statuses = [fresh(j).status for j in jobs]
    assert statuses == [Status.RUNNING, Status.PENDING, Status.PENDING]
    assert drive() == 0
    finished = [fresh(j).submitted_at for j in jobs]
    assert finished == sorted(finished)  # submitted in the order they were requested


def test_one_ticker_at_a_time_and_one_message_per_burst():
    assert pipeline.acquire_lease("ticker", 5) is not None
    assert pipeline.acquire_lease("ticker", 5) is None
    Lease.objects.filter(name="ticker").update(until=None)
    pipeline.ensure_ticker()
    pipeline.ensure_ticker()
    assert queued_functions().count("django_tryon.tasks.tick") == 1


def test_schedules_are_registered_once_however_often_migrate_runs():
    from django_q.models import Schedule

    from django_tryon.schedules import register_schedules

    register_schedules()
    register_schedules()
    names = list(
        Schedule.objects.filter(func__startswith="django_tryon.").values_list("name", flat=True)
    )
    assert sorted(names) == ["django-tryon cleanup", "django-tryon sweep"]


def test_success_is_signalled(garment, model_photo, drive):
    seen = []
    signals.job_succeeded.connect(
        lambda job, **kw: seen.append(job.pk), weak=False, dispatch_uid="t-ok"
    )
    try:
        job = request_tryon(garment, model_photo)
        drive()
    finally:
        signals.job_succeeded.disconnect(dispatch_uid="t-ok")
    assert seen == [job.pk]
