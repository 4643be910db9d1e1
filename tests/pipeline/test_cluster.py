"""A real qcluster pushes jobs through the sandbox: every job succeeds exactly once."""

import pytest
from django.db.models import Count

from django_tryon.models import Status, TryOnJob
from django_tryon.services import request_tryon
from tests.availability import require_postgres
from tests.cluster import wait_until

JOBS = 50


def push_jobs(garment, model_photos, n):
    jobs = []
    for i in range(n):
        # Distinct options make distinct fingerprints: no job is reused from another.
        jobs.append(request_tryon(garment, model_photos[i % len(model_photos)], options={"n": i}))
    return jobs


def assert_all_succeeded_once(jobs, timeout=90):
    ids = [j.pk for j in jobs]
    done = wait_until(
        lambda: TryOnJob.objects.filter(pk__in=ids, status=Status.SUCCEEDED).count() == len(ids),
        timeout,
    )
    counts = dict(TryOnJob.objects.filter(pk__in=ids).values_list("status").annotate(n=Count("pk")))
    stuck = list(
        TryOnJob.objects.filter(pk__in=ids)
        .exclude(status=Status.SUCCEEDED)
        .values(
            "pk",
            "status",
            "next_check_at",
            "lease_until",
            "provider_job_id",
            "result_ready_at",
            "error_code",
        )[:3]
    )
    assert done, f"not all jobs succeeded: {counts}; for example {stuck}"
    assert TryOnJob.objects.filter(pk__in=ids).exclude(result="").count() == len(ids)
    # Exactly once: each job was submitted once and got its own provider job.
    assert set(TryOnJob.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}
    assert TryOnJob.objects.filter(pk__in=ids).values("provider_job_id").distinct().count() == len(
        ids
    )


# The sandbox takes half a second, so jobs really wait at the provider and get polled.
SLOW_SANDBOX = {
    "PROVIDERS": {
        "sandbox": {"BACKEND": "django_tryon.providers.sandbox.SandboxProvider", "LATENCY": 0.5}
    }
}


@pytest.mark.cluster
@pytest.mark.postgres
def test_fifty_jobs_on_the_orm_broker_on_postgres(qcluster, garment, model_photo):
    require_postgres()
    qcluster(broker="orm", tryon=SLOW_SANDBOX)
    assert_all_succeeded_once(push_jobs(garment, [model_photo], JOBS))


@pytest.mark.cluster
@pytest.mark.redis
def test_fifty_jobs_on_redis(qcluster, garment, model_photo):
    qcluster(broker="redis", tryon=SLOW_SANDBOX)
    assert_all_succeeded_once(push_jobs(garment, [model_photo], JOBS))


@pytest.mark.cluster
def test_fifty_jobs_on_the_orm_broker_on_this_database(qcluster, garment, model_photo):
    qcluster(broker="orm", tryon=SLOW_SANDBOX)
    assert_all_succeeded_once(push_jobs(garment, [model_photo], JOBS))
