"""Failover: account errors and exhausted transient errors move a job to the FALLBACK alias;
permanent errors (a bad photo, harmful content) never do."""

from __future__ import annotations

import pytest

from django_tryon import signals
from django_tryon.models import ProviderState, Status
from django_tryon.services import request_tryon
from tests.providers.support import cc_alias, mh_alias, tryon


@pytest.fixture
def both(magichour_emulator, changeclothes_emulator, settings):
    """Magic Hour falls back to Change Clothes and back: each alias names the other."""
    settings.TRYON = tryon(
        {
            "magichour": mh_alias(magichour_emulator, FALLBACK="changeclothes"),
            "changeclothes": cc_alias(changeclothes_emulator, FALLBACK="magichour"),
        },
        "magichour",
    )
    return magichour_emulator, changeclothes_emulator


@pytest.fixture
def failovers():
    seen = []

    def receiver(sender, job, from_alias, to_alias, error_code, **kwargs):
        seen.append((from_alias, to_alias, error_code))

    signals.job_failed_over.connect(receiver)
    yield seen
    signals.job_failed_over.disconnect(receiver)


def finished(job, drive):
    assert drive() == 0
    job.refresh_from_db()
    return job


@pytest.mark.parametrize("status", [401, 402, 403])
def test_an_account_error_fails_over_and_pauses_the_alias(
    both, failovers, drive, garment, model_photo, status
):
    mh, cc = both
    mh.inject("http_error", route="create", status=status)
    job = finished(request_tryon(garment, model_photo), drive)

    assert (job.status, job.provider) == (Status.SUCCEEDED, "changeclothes"), job.error_message
    assert [entry["alias"] for entry in job.provider_history] == ["magichour"]
    assert job.provider_history[0]["code"] in ("auth_failed", "insufficient_credits")
    assert failovers == [("magichour", "changeclothes", job.provider_history[0]["code"])]
    assert ProviderState.objects.get(alias="magichour").is_paused
    assert (mh.create_calls, cc.create_calls) == (1, 1)


def test_later_jobs_go_straight_to_the_fallback_while_the_alias_is_paused(
    both, drive, garment, model_photo
):
    mh, _cc = both
    mh.inject("http_error", route="create", status=401)
    first = finished(request_tryon(garment, model_photo, options={"n": 1}), drive)
    second = finished(request_tryon(garment, model_photo, options={"n": 2}), drive)
    assert (first.provider, second.provider) == ("changeclothes", "changeclothes")
    assert mh.create_calls == 1  # the paused alias was not asked again
    assert second.status == Status.SUCCEEDED


def test_exhausted_transient_errors_fail_over(both, failovers, drive, garment, model_photo):
    mh, _cc = both
    mh.inject("http_error", route="create", status=503, times=3)  # MAX_TRANSIENT_ERRORS
    job = finished(request_tryon(garment, model_photo), drive)
    assert (job.status, job.provider) == (Status.SUCCEEDED, "changeclothes")
    assert failovers == [("magichour", "changeclothes", "provider_unavailable")]
    assert not ProviderState.objects.filter(alias="magichour", paused_at__isnull=False).exists()


def test_a_few_transient_errors_are_retried_in_place(both, failovers, drive, garment, model_photo):
    mh, cc = both
    mh.inject("http_error", route="create", status=429, retry_after=0, times=2)
    job = finished(request_tryon(garment, model_photo), drive)
    assert (job.status, job.provider, failovers) == (Status.SUCCEEDED, "magichour", [])
    assert cc.create_calls == 0


def test_a_bad_photo_never_fails_over(both, failovers, drive, garment, model_photo):
    mh, cc = both
    mh.inject("project_error", code="no_source_face")
    job = finished(request_tryon(garment, model_photo), drive)
    assert (job.status, job.provider, job.error_code) == (Status.FAILED, "magichour", "no_person")
    assert failovers == [] and cc.create_calls == 0


@pytest.mark.parametrize("code", [10004, 10005])
def test_permanent_change_clothes_errors_never_fail_over(
    both, failovers, settings, drive, garment, model_photo, code
):
    mh, cc = both
    cc.inject("code", code=code)
    job = finished(request_tryon(garment, model_photo, provider="changeclothes"), drive)
    assert (job.status, job.provider) == (Status.FAILED, "changeclothes")
    assert failovers == [] and mh.create_calls == 0


def test_change_clothes_out_of_credits_fails_over_to_magic_hour(both, drive, garment, model_photo):
    _mh, cc = both
    cc.inject("code", code=10003)
    job = finished(request_tryon(garment, model_photo, provider="changeclothes"), drive)
    assert (job.status, job.provider) == (Status.SUCCEEDED, "magichour")
    assert job.provider_history[0]["code"] == "insufficient_credits"


def test_a_failover_never_loops_back(both, drive, garment, model_photo):
    mh, cc = both
    mh.inject("http_error", route="create", status=401)
    cc.inject("code", code=30001)
    job = request_tryon(garment, model_photo)
    drive(timeout=3)
    job.refresh_from_db()
    # Both aliases refused the account: the job waits on the last one instead of bouncing.
    assert job.provider == "changeclothes"
    assert [entry["alias"] for entry in job.provider_history] == ["magichour"]
    assert job.status == Status.PENDING and job.error_code == "auth_failed"
    assert (mh.create_calls, cc.create_calls) == (1, 1)


def test_without_a_fallback_an_account_error_leaves_the_job_waiting(
    mh, drive, garment, model_photo
):
    mh.inject("http_error", route="create", status=402)
    job = request_tryon(garment, model_photo)
    drive(timeout=2)
    job.refresh_from_db()
    assert (job.status, job.provider, job.provider_history) == (Status.PENDING, "magichour", [])
