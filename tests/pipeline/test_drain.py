"""Drains: how new jobs reach the workers without one queue message each."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ

from django_tryon import pipeline
from django_tryon.models import Lease, ProviderState, Source, Status, TryOnJob
from django_tryon.services import request_tryon
from django_tryon.services.jobs import _request_tryon  # shopper plumbing: source, owner
from django_tryon.testing.queue import drive_pipeline, queued_functions, run_queued_tasks

# Transactional: on_commit enqueues happen as in production, not at the end of a test transaction.
pytestmark = pytest.mark.django_db(transaction=True)

DRAIN = "django_tryon.tasks.drain"


def test_a_burst_of_new_jobs_sends_one_drain_that_runs_them_all(garment, model_photo, fresh):
    jobs = [request_tryon(garment, model_photo, options={"n": i}) for i in range(5)]
    assert queued_functions() == [DRAIN]
    # The drain, and the one it kept queued while several jobs were due (it finds none).
    assert run_queued_tasks() == 2
    for job in map(fresh, jobs):
        assert job.status == Status.SUCCEEDED and job.attempts == 1 and job.result


def test_a_worker_that_dies_mid_drain_leaves_the_other_jobs_to_the_next_drain(
    garment, model_photo, monkeypatch, fresh
):
    jobs = [request_tryon(garment, model_photo, options={"n": i}) for i in range(3)]
    OrmQ.objects.all().delete()  # the drain's message is taken by the worker that dies

    def killed(*step, **how):
        raise SystemExit("SIGKILL")  # not an error the step handles: the process is gone

    with monkeypatch.context() as patch:
        patch.setattr(pipeline.drains, "run", killed)
        with pytest.raises(SystemExit):
            pipeline.drain()
    assert queued_functions() == [DRAIN]  # queued before the first step, for the rest
    run_queued_tasks()
    statuses = [fresh(job).status for job in jobs]
    assert statuses.count(Status.SUCCEEDED) == 2  # the killed one waits for its lease to end
    # It was leased, not started: it stays pending, not "died while submitting".
    assert statuses.count(Status.PENDING) == 1


def test_new_work_sends_another_drain_once_the_queued_one_has_started(garment, model_photo, fresh):
    first = request_tryon(garment, model_photo, options={"n": 1})
    OrmQ.objects.all().delete()
    assert pipeline.drain() == 1  # the queued drain starts and takes the job
    assert fresh(first).status == Status.SUCCEEDED
    second = request_tryon(garment, model_photo, options={"n": 2})
    assert queued_functions() == [DRAIN]  # this drain may be past the new job: another goes
    run_queued_tasks()
    assert fresh(second).status == Status.SUCCEEDED


def test_a_drain_takes_the_oldest_due_job_first(garment, model_photo):
    jobs = [request_tryon(garment, model_photo, options={"n": i}) for i in range(3)]
    now = timezone.now()
    for age, job in zip((1, 3, 2), jobs, strict=True):
        TryOnJob.objects.filter(pk=job.pk).update(next_check_at=now - timedelta(minutes=age))
    assert [job.pk for job in pipeline.due_for_drain()] == [jobs[1].pk, jobs[2].pk, jobs[0].pk]


def test_a_drain_past_its_budget_hands_over_to_a_fresh_task(garment, model_photo, fresh):
    jobs = [request_tryon(garment, model_photo, options={"n": i}) for i in range(3)]
    OrmQ.objects.all().delete()
    assert pipeline.drain(budget=0) == 1  # one step, then the budget is spent
    assert [fresh(job).status for job in jobs].count(Status.SUCCEEDED) == 1
    assert queued_functions() == [DRAIN]
    run_queued_tasks()
    assert all(fresh(job).status == Status.SUCCEEDED for job in jobs)


def test_a_job_read_by_a_drain_is_not_claimed_once_another_worker_moved_it_on(
    garment, model_photo, aliases, fresh
):
    aliases(sandbox={"LATENCY": 5})
    job = request_tryon(garment, model_photo)
    [read] = pipeline.due_for_drain()
    pipeline.advance(job.pk)  # another worker submits it meanwhile
    assert fresh(job).status == Status.RUNNING and job.attempts == 1
    assert pipeline.claim_read(read) is False  # what was read is stale: no second submit
    assert fresh(job).provider_job_id and job.attempts == 1


def test_a_job_read_by_a_drain_is_not_claimed_after_any_step_even_one_that_left_it_as_it_was(
    garment, model_photo, fresh
):
    job = request_tryon(garment, model_photo)
    [read] = pipeline.due_for_drain()
    other = pipeline.claim(job.pk)
    assert pipeline.write(other, next_check_at=timezone.now())  # e.g. a retry, due at once
    assert fresh(job).status == Status.PENDING and job.lease_owner == ""
    assert pipeline.claim_read(read) is False  # its updated_at moved on


def test_a_job_held_by_another_worker_is_not_claimed(garment, model_photo):
    job = request_tryon(garment, model_photo)
    [read] = pipeline.due_for_drain()
    assert pipeline.claim(job.pk) is not None
    assert pipeline.claim_read(read) is False
    assert pipeline.due_for_drain() == []


def test_a_drain_leases_a_chunk_of_new_jobs_briefly_and_each_step_starts_its_job(
    garment, model_photo, fresh
):
    jobs = [request_tryon(garment, model_photo, options={"n": i}) for i in range(3)]
    read = pipeline.due_for_drain()
    held = pipeline.claim_read_many(read)  # one UPDATE for the chunk
    assert [job.pk for job in held] == [job.pk for job in jobs]
    first = fresh(jobs[0])
    # Leased for a few seconds, not started: a worker dying now strands them that long,
    # and none counts as "died while submitting".
    assert first.status == Status.PENDING and first.lease_owner == held[0].lease_owner != ""
    assert first.lease_until <= timezone.now() + timedelta(seconds=pipeline.START_LEASE)
    assert pipeline.claim_read_many(read) == [] and pipeline.claim(jobs[1].pk) is None
    pipeline.steps.run(held[0])  # its step starts it (full lease) and submits
    assert fresh(jobs[0]).status == Status.SUCCEEDED and jobs[0].attempts == 1
    assert {fresh(job).status for job in jobs[1:]} == {Status.PENDING}


@pytest.mark.parametrize(
    "situation",
    ["paused alias", "capped alias", "deadline passed"],
)
def test_a_start_in_a_chunk_is_decided_by_its_step(situation, garment, model_photo, aliases, fresh):
    aliases(sandbox={"MAX_CONCURRENT": 1} if situation == "capped alias" else {})
    job = _request_tryon(garment, model_photo, source=Source.SHOPPER)
    if situation == "paused alias":
        ProviderState.objects.create(alias="sandbox", paused_at=timezone.now())
    if situation == "deadline passed":  # e.g. failed over back to the queue, late
        TryOnJob.objects.filter(pk=job.pk).update(deadline_at=timezone.now())
    read = TryOnJob.objects.select_related("garment", "model_photo").get(pk=job.pk)
    assert pipeline.claim_read_many([read]) == [read]
    assert fresh(job).status == Status.PENDING  # leased only: the step decides
    pipeline.steps.run(read)
    expected = {
        "paused alias": (Status.FAILED, "provider_paused"),
        "capped alias": (Status.SUCCEEDED, ""),  # a free slot: taken in order, and done
        "deadline passed": (Status.FAILED, "deadline_exceeded"),
    }[situation]
    assert (fresh(job).status, job.error_code) == expected


def test_drains_leave_polls_capped_starts_and_paused_waiting_to_the_ticker(
    garment, model_photo, aliases
):
    aliases(
        open={},
        capped={"MAX_CONCURRENT": 1},
        paused={},
        rescued={"FALLBACK": "open"},
    )
    ProviderState.objects.create(alias="paused", paused_at=timezone.now())
    ProviderState.objects.create(alias="rescued", paused_at=timezone.now())
    now = timezone.now()

    def job(**fields):
        fields = {"next_check_at": now, **fields}
        return TryOnJob.objects.create(garment=garment, model_photo=model_photo, **fields).pk

    taken = {
        job(provider="open"),
        # Never started: due at once, even stamped by a host whose clock runs ahead.
        job(provider="open", next_check_at=now + timedelta(minutes=1)),
        job(provider="paused", source=Source.SHOPPER),  # fails at once: no shopper waits
        job(provider="rescued"),  # fails over to its fallback
        job(provider="capped", status=Status.RUNNING),  # its worker died before submitting
        job(provider="open", status=Status.RUNNING, provider_job_id="x", result_ready_at=now),
    }
    job(provider="capped")  # the ticker hands out the alias's free slots in order
    job(provider="paused", source=Source.ADMIN)  # waits for an admin to resume the alias
    job(provider="open", status=Status.RUNNING, provider_job_id="y")  # polled by the ticker
    job(provider="open", attempts=1, next_check_at=now + timedelta(minutes=1))  # a backoff
    assert {j.pk for j in pipeline.due_for_drain()} == taken


def test_the_sweep_sends_a_drain_when_one_is_owed_and_its_message_was_lost(
    garment, model_photo, fresh
):
    job = request_tryon(garment, model_photo)
    OrmQ.objects.all().delete()  # lost (e.g. Redis restarted), its mark still set
    pipeline.sweep()
    assert DRAIN not in queued_functions()  # the mark holds it back...
    Lease.objects.filter(name="drain").update(until=timezone.now())  # ...until it expires
    pipeline.sweep()
    assert DRAIN in queued_functions()
    run_queued_tasks()
    assert fresh(job).status == Status.SUCCEEDED


def test_new_jobs_on_a_capped_alias_start_through_a_drain_up_to_the_free_slots_in_order(
    garment, model_photo, aliases, fresh
):
    aliases(capped={"MAX_CONCURRENT": 2, "OUTCOME": "never"})
    jobs = [request_tryon(garment, model_photo, options={"n": i}) for i in range(5)]
    assert queued_functions() == [DRAIN]  # one message, as on any alias
    assert [j.pk for j in pipeline.due_for_drain()] == [jobs[0].pk, jobs[1].pk]
    run_queued_tasks()
    statuses = [fresh(job).status for job in jobs]
    assert statuses == [Status.RUNNING] * 2 + [Status.PENDING] * 3
    assert pipeline.due_for_drain() == []  # no slot free: nothing for a drain to take


def test_the_lease_rows_are_made_after_migrate_and_remade_by_the_sweep(garment, model_photo, fresh):
    assert set(Lease.objects.values_list("name", flat=True)) >= {"ticker", "drain"}
    Lease.objects.all().delete()  # e.g. a restore from an old backup
    job = request_tryon(garment, model_photo)
    assert queued_functions() == []  # marking the drain lease is one UPDATE: no row, no drain
    pipeline.sweep()
    assert Lease.objects.filter(name="drain").exists()
    run_queued_tasks()  # the ticker the sweep sent hands the job to a worker
    assert fresh(job).status == Status.SUCCEEDED


def test_a_batch_costs_a_few_messages_not_one_per_job(garment, fresh, aliases, monkeypatch):
    from django_q import tasks

    from django_tryon.services import generate
    from tests.fixtures import create_model_photo

    aliases(sandbox={"LATENCY": 0.2})
    sent = []
    real = tasks.async_task
    monkeypatch.setattr(
        tasks, "async_task", lambda func, *a, **kw: sent.append(func) or real(func, *a, **kw)
    )
    batch, _ = generate([garment], [create_model_photo(name=f"Model {i}") for i in range(30)])
    assert sent == [DRAIN]  # as for a single job
    assert drive_pipeline() == 0
    assert {job.status for job in batch.jobs.all()} == {Status.SUCCEEDED}
    # Drains (one more while several jobs are due, one when results are ready) and the
    # ticker's rounds of polls: their number follows time (a slow machine has more rounds),
    # never the batch's size.
    assert sent.count(DRAIN) <= 8, sent
    assert len(sent) < batch.jobs.count(), sent


def test_the_ticker_sends_one_drain_for_due_jobs_not_a_message_each(
    garment, model_photo, lose_messages, fresh
):
    jobs = [request_tryon(garment, model_photo, options={"n": i}) for i in range(5)]
    lose_messages(started=True)  # e.g. retries, due again after their backoff
    assert pipeline.tick_once() == 0  # nothing to poll...
    assert queued_functions() == [DRAIN]  # ...and one drain for the five
    run_queued_tasks()
    assert {fresh(job).status for job in jobs} == {Status.SUCCEEDED}
