"""The alias policy: one answer to what an alias lets a job do, wherever it's asked.

Capped, paused, fallback, may a job wait, and aliases removed from the settings: the
drains' query (``startable``) and a worker's decision (``verdict``) come from one object
and must agree; an alias that disappears from ``TRYON`` fails its own jobs and nobody
else's.
"""

import pytest
from django.utils import timezone

from django_tryon import pipeline
from django_tryon.models import ProviderState, Source, Status, TryOnJob
from django_tryon.pipeline import AliasPolicy, Verdict
from django_tryon.services import request_tryon
from tests.cluster import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

SANDBOX = "django_tryon.providers.sandbox.SandboxProvider"


def pause(alias):
    ProviderState.objects.update_or_create(alias=alias, defaults={"paused_at": timezone.now()})


def ghost_job(garment, model_photo):
    """A job an admin queued on the alias ``ghost``, which was paused, then removed from TRYON."""
    pause("ghost")
    return TryOnJob.objects.create(
        garment=garment,
        model_photo=model_photo,
        provider="ghost",
        source=Source.ADMIN,
        next_check_at=timezone.now(),
    )


def test_a_job_on_a_removed_alias_fails_alone_and_the_rest_of_the_shop_goes_on(
    garment, model_photo, aliases, drive, fresh
):
    aliases(sandbox={"LATENCY": 0.3})
    ghost = ghost_job(garment, model_photo)
    job = request_tryon(garment, model_photo)
    assert pipeline.tick_once() == 0  # no KeyError: 'ghost'
    assert drive() == 0
    assert fresh(job).status == Status.SUCCEEDED
    assert fresh(ghost).status == Status.FAILED and "'ghost'" in ghost.error_message
    assert ghost.attempts == 0  # never sent anywhere


@pytest.mark.cluster
def test_a_removed_alias_does_not_stall_a_real_cluster(qcluster, garment, model_photo, fresh):
    ghost = ghost_job(garment, model_photo)
    qcluster(
        broker="orm",
        tryon={"PROVIDERS": {"sandbox": {"BACKEND": SANDBOX, "LATENCY": 0.5}}},
    )
    job = request_tryon(garment, model_photo)
    assert wait_until(lambda: fresh(job).status == Status.SUCCEEDED, 30), (job.status, job.pk)
    assert wait_until(lambda: fresh(ghost).status == Status.FAILED, 10), ghost.status
    assert "not configured any more" in ghost.error_message


@pytest.mark.parametrize(
    ("alias", "source", "history", "verdict"),
    [
        ("open", Source.ADMIN, [], Verdict.START),
        ("capped", Source.ADMIN, [], Verdict.START),  # a slot is a matter of order, not verdict
        ("paused", Source.ADMIN, [], Verdict.WAIT),
        ("paused", Source.SHOPPER, [], Verdict.FAIL),  # a shopper can't wait
        ("rescued", Source.ADMIN, [], Verdict.FAIL_OVER),
        ("rescued", Source.SHOPPER, [], Verdict.FAIL_OVER),
        ("rescued", Source.ADMIN, [{"alias": "open"}], Verdict.WAIT),  # been there already
        ("ghost", Source.ADMIN, [], Verdict.UNCONFIGURED),
        ("ghost", Source.SHOPPER, [], Verdict.UNCONFIGURED),
    ],
)
def test_each_alias_answers_once_for_workers_and_drains_alike(
    alias, source, history, verdict, aliases, garment, model_photo
):
    aliases(open={}, capped={"MAX_CONCURRENT": 1}, paused={}, rescued={"FALLBACK": "open"})
    for name in ("paused", "rescued", "ghost"):
        pause(name)
    job = TryOnJob.objects.create(
        garment=garment,
        model_photo=model_photo,
        provider=alias,
        source=source,
        provider_history=history,
        next_check_at=timezone.now(),
    )
    policy = AliasPolicy()
    assert policy.verdict(job) == verdict
    drained = [j.pk for j in pipeline.due_for_drain(policy)]
    # A drain takes what it can act on, and nothing that would only be put back to wait
    # (except a job back from its fallback: the query can't read the history; its step can).
    assert drained == ([] if verdict == Verdict.WAIT and not history else [job.pk])


def test_a_capped_alias_has_no_slot_for_a_drain_while_its_jobs_run(aliases, garment, model_photo):
    aliases(capped={"MAX_CONCURRENT": 1})
    TryOnJob.objects.create(
        garment=garment, model_photo=model_photo, provider="capped", status=Status.RUNNING
    )
    TryOnJob.objects.create(
        garment=garment, model_photo=model_photo, provider="capped", next_check_at=timezone.now()
    )
    assert AliasPolicy().free_slots() == {"capped": 0}
    assert pipeline.due_for_drain() == []
