"""Each provider end to end through a real ``qcluster``, on both brokers, against its emulator.

The emulators run in this process on loopback; the cluster subprocesses reach them with the
same TRYON settings (``tests/cluster.py`` passes them along).
"""

from __future__ import annotations

import pytest

from django_tryon.models import Status, TryOnJob
from django_tryon.services import request_tryon
from tests.cluster import wait_until
from tests.providers.support import cc_alias, fa_alias, is_image, mh_alias, tryon

pytestmark = pytest.mark.cluster
BROKERS = [pytest.param("orm"), pytest.param("redis", marks=pytest.mark.redis)]


def finished(job: TryOnJob, timeout: float = 60) -> TryOnJob:
    wait_until(
        lambda: TryOnJob.objects.filter(
            pk=job.pk, status__in=("succeeded", "failed", "canceled")
        ).exists(),
        timeout,
    )
    job.refresh_from_db()
    return job


def start(qcluster, broker: str, providers: dict, default: str):
    # tests/settings.py gives workers 60 s (Q_CLUSTER timeout): tryon.E007 refuses a
    # Change Clothes alias at its default 180 s, so these aliases call with TIMEOUT 25.
    # POLL_INTERVAL and backoff as in production, shortened: the cluster's ticker polls.
    settings = tryon(providers, default, POLL_INTERVAL=0.2)
    return qcluster(broker=broker, tryon=settings)


@pytest.mark.parametrize("broker", BROKERS)
def test_magic_hour_through_qcluster(qcluster, magichour_emulator, garment, model_photo, broker):
    magichour_emulator.latency = 1.0
    alias = mh_alias(magichour_emulator, FIRST_POLL_AFTER=0.5, DELETE_AFTER_DOWNLOAD=True)
    start(qcluster, broker, {"magichour": alias}, "magichour")
    magichour_emulator.inject("http_error", route="create", status=429, retry_after=0)
    magichour_emulator.inject("expired")
    jobs = [request_tryon(garment, model_photo, options={"n": n}) for n in range(3)]
    for job in jobs:
        job = finished(job)
        assert job.status == Status.SUCCEEDED, (job.error_code, job.error_message)
        assert job.credits_charged == 25
        with job.result.open("rb") as handle:
            assert is_image(handle.read(), "PNG")
        assert magichour_emulator.projects[job.provider_job_id].enabled is False  # deleted
    assert len(magichour_emulator.projects) == 3  # one project per job, never two


@pytest.mark.parametrize("broker", BROKERS)
def test_fashn_through_qcluster(qcluster, fashn_emulator, garment, model_photo, broker):
    fashn_emulator.latency = 1.0
    fashn_emulator.concurrency_limit = 2  # three jobs: the third meets the cap and waits
    alias = fa_alias(fashn_emulator, FIRST_POLL_AFTER=0.5, INPUTS={"mode": "performance"})
    start(qcluster, broker, {"fashn": alias}, "fashn")
    fashn_emulator.inject("http_error", route="create", status=429, error="RateLimitExceeded",
                          retry_after=0)  # fmt: skip
    jobs = [request_tryon(garment, model_photo, options={"seed": n}) for n in range(3)]
    for job in jobs:
        job = finished(job)
        assert job.status == Status.SUCCEEDED, (job.error_code, job.error_message)
        assert job.credits_charged == 1
        with job.result.open("rb") as handle:
            assert is_image(handle.read(), "PNG")
    assert len(fashn_emulator.predictions) == 3  # one prediction per job, never two
    assert fashn_emulator.balance == 1000 - 3


@pytest.mark.parametrize("broker", BROKERS)
def test_change_clothes_through_qcluster(
    qcluster, changeclothes_emulator, garment, model_photo, broker
):
    changeclothes_emulator.latency = 0.5
    alias = cc_alias(changeclothes_emulator, STORE_MASK=True, TIMEOUT=25)
    start(qcluster, broker, {"changeclothes": alias}, "changeclothes")
    changeclothes_emulator.inject("code", code=20001)
    garment_job = request_tryon(garment, model_photo)
    prompt_job = request_tryon(None, model_photo, prompt="a green hoodie", options={"seed": 7})
    garment_job, prompt_job = finished(garment_job), finished(prompt_job)
    assert garment_job.status == Status.SUCCEEDED, garment_job.error_message
    assert garment_job.mask and garment_job.result
    assert prompt_job.status == Status.SUCCEEDED, prompt_job.error_message
    assert prompt_job.provider_data["seed"] == 7


@pytest.mark.parametrize("broker", BROKERS)
def test_failover_through_qcluster(
    qcluster, magichour_emulator, changeclothes_emulator, garment, model_photo, broker
):
    providers = {
        "magichour": mh_alias(magichour_emulator, FALLBACK="changeclothes"),
        "changeclothes": cc_alias(changeclothes_emulator, TIMEOUT=25),
    }
    start(qcluster, broker, providers, "magichour")
    magichour_emulator.inject("http_error", route="create", status=401)
    job = finished(request_tryon(garment, model_photo))
    assert (job.status, job.provider) == (Status.SUCCEEDED, "changeclothes"), job.error_message
    assert job.provider_history[0]["alias"] == "magichour"


@pytest.mark.parametrize("broker", BROKERS)
def test_bad_answers_end_in_the_right_state_through_qcluster(
    qcluster, magichour_emulator, garment, model_photo, broker
):
    start(qcluster, broker, {"magichour": mh_alias(magichour_emulator)}, "magichour")
    magichour_emulator.inject("not_image", route="download")
    first = finished(request_tryon(garment, model_photo, options={"n": 1}))
    assert (first.status, first.error_code) == (Status.FAILED, "result_not_image")
    assert not first.result
    magichour_emulator.inject("empty_downloads")  # the next project completes with nothing
    second = finished(request_tryon(garment, model_photo, options={"n": 2}))
    assert (second.status, second.error_code) == (Status.FAILED, "bad_response")
