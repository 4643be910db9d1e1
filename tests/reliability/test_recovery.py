"""The pipeline's recovery paths, one at a time, in-process (the fixes this suite led to).

- a submission taken over from a dead worker is counted as uncertain, and the count
  survives failures and failovers;
- a dead ticker holds polling up for its budget plus ``TICK_GRACE`` only, one killed while
  it polls or drains not at all (a tick is queued to take over), and a job held by a
  worker doesn't keep the ticker busy;
- the sweep's schedule goes to the cluster the app's tasks go to;
- a Change Clothes result URL is kept with the job id, so a failed download is retried;
- a garment or model photo row loads without reading its image from storage.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from django_tryon import pipeline
from django_tryon.models import Lease, ModelPhoto, Status, TryOnJob
from django_tryon.providers import get_provider
from django_tryon.providers.base import TransientError
from django_tryon.providers.sandbox import SandboxProvider
from django_tryon.services import request_tryon
from django_tryon.testing.queue import queued_functions, run_queued_tasks
from tests.fixtures import make_image
from tests.providers.support import SANDBOX, cc_alias
from tests.reliability.support import reliability_tryon, settle

pytestmark = pytest.mark.django_db(transaction=True)


class AlwaysTimesOut(SandboxProvider):
    """Every create times out: the provider may have made a job each time."""

    def submit(self, request: Any) -> Any:
        raise TransientError("timeout")


def die_while_submitting(job: TryOnJob) -> None:
    """A worker takes ``job``'s slot to submit it and dies before any answer is recorded."""
    claimed = pipeline.claim(job.pk)
    assert claimed is not None and pipeline.steps.take_slot(claimed, get_provider(claimed.provider))
    assert claimed.status == Status.RUNNING
    TryOnJob.objects.filter(pk=job.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1), next_check_at=timezone.now()
    )


def test_a_submission_taken_over_from_a_dead_worker_is_counted(settings, garment, model_photo):
    settings.TRYON = reliability_tryon({}, "sandbox")
    job = request_tryon(garment, model_photo)
    die_while_submitting(job)
    pipeline.advance(job.pk)
    job.refresh_from_db()
    assert job.provider_job_id and job.attempts == 2
    assert job.provider_data["uncertain_submissions"] == 1
    assert job.lease_owner == ""  # released after the step

    normal = request_tryon(garment, model_photo, options={"n": 2})
    pipeline.advance(normal.pk)
    normal.refresh_from_db()
    assert normal.attempts == 1 and "uncertain_submissions" not in normal.provider_data


def test_the_count_survives_a_failure_and_a_failover(settings, garment, model_photo):
    settings.TRYON = reliability_tryon(
        {
            "flaky": {
                "BACKEND": f"{__name__}.AlwaysTimesOut",
                "LATENCY": 0,
                "FALLBACK": "sandbox",
            }
        },
        "flaky",
        MAX_TRANSIENT_ERRORS=2,
    )
    job = request_tryon(garment, model_photo)
    die_while_submitting(job)
    job = settle(job)
    assert (job.status, job.provider) == (Status.SUCCEEDED, "sandbox")
    # At "flaky": the takeover and two timeouts, all maybe made (and charged) there.
    assert job.provider_history[0]["alias"] == "flaky"
    assert job.provider_history[0]["uncertain_submissions"] == 3

    settings.TRYON = {**settings.TRYON, "PROVIDERS": {**settings.TRYON["PROVIDERS"]}}
    settings.TRYON["PROVIDERS"]["flaky"] = {"BACKEND": f"{__name__}.AlwaysTimesOut", "LATENCY": 0}
    failed = request_tryon(garment, model_photo, options={"n": 2})
    failed = settle(failed)
    assert (failed.status, failed.error_code) == (Status.FAILED, "timeout")
    assert failed.provider_data["uncertain_submissions"] == 2


def test_a_dead_ticker_holds_polling_up_for_its_grace_only(settings):
    settings.TRYON = reliability_tryon({}, "sandbox", TICK_SECONDS=3, LEASE_SECONDS=300)
    before = timezone.now()
    owner = pipeline.acquire_lease(pipeline.TICK_LEASE, 3 + pipeline.TICK_GRACE)
    assert owner is not None  # ...and this ticker dies without releasing it
    until = Lease.objects.get(name=pipeline.TICK_LEASE).until
    assert until <= before + timedelta(seconds=3 + pipeline.TICK_GRACE + 1)
    assert pipeline.acquire_lease(pipeline.TICK_LEASE, 3) is None
    Lease.objects.filter(name=pipeline.TICK_LEASE).update(until=timezone.now())
    assert pipeline.acquire_lease(pipeline.TICK_LEASE, 3) is not None


def test_tick_takes_a_lease_of_its_budget_plus_the_grace(settings, monkeypatch):
    settings.TRYON = reliability_tryon({}, "sandbox", LEASE_SECONDS=300)
    taken: list[float] = []
    real = pipeline.acquire_lease

    def spy(name: str, seconds: float) -> str | None:
        taken.append(seconds)
        return real(name, seconds)

    monkeypatch.setattr(pipeline.ticker, "acquire_lease", spy)
    pipeline.tick(budget=2)
    assert taken == [2 + pipeline.TICK_GRACE]


@pytest.mark.parametrize("killed_in", ["poll", "drain"])
def test_a_ticker_killed_while_it_calls_out_leaves_a_tick_queued_that_carries_on(
    killed_in, settings, garment, model_photo, monkeypatch
):
    from django_q.models import OrmQ

    sandbox = {"sandbox": {"BACKEND": SANDBOX, "LATENCY": 0.2}}
    settings.TRYON = reliability_tryon(sandbox, "sandbox")
    polled = request_tryon(garment, model_photo)
    run_queued_tasks()  # submitted; polled by the ticker 0.2 s later
    assert TryOnJob.objects.get(pk=polled.pk).status == Status.RUNNING
    waiting = request_tryon(garment, model_photo, options={"n": 2})  # a drain's
    Lease.objects.update(owner="", until=None)
    OrmQ.objects.all().delete()  # no message but those the ticker sends

    def killed(*args: Any, **kwargs: Any) -> Any:
        raise SystemExit("SIGKILL")  # not an error a step handles: the process is gone

    if killed_in == "poll":
        TryOnJob.objects.filter(pk=polled.pk).update(next_check_at=timezone.now())
        monkeypatch.setattr(SandboxProvider, "poll", killed)
    else:
        TryOnJob.objects.filter(pk=polled.pk).update(next_check_at=timezone.now() + timedelta(1))
        monkeypatch.setattr(pipeline.drains, "run", killed)
    with pytest.raises(SystemExit):
        pipeline.tick(budget=5)
    monkeypatch.undo()
    # The lease is not held by the dead ticker: it is marked for the tick queued to take over.
    assert "django_tryon.tasks.tick" in queued_functions()
    assert Lease.objects.get(name=pipeline.TICK_LEASE).owner == "queued"
    # What the dead one held (a poll's short lease, a new job's start lease) ends; all goes on.
    TryOnJob.objects.update(lease_until=timezone.now(), next_check_at=timezone.now())
    run_queued_tasks()
    assert {settle(job).status for job in (polled, waiting)} == {Status.SUCCEEDED}


def test_a_job_held_by_a_worker_is_not_due_before_its_lease_ends(settings, garment, model_photo):
    settings.TRYON = reliability_tryon({}, "sandbox", LEASE_SECONDS=300)
    job = request_tryon(garment, model_photo)
    assert pipeline.seconds_to_next_due() == pytest.approx(0, abs=1)
    assert pipeline.claim(job.pk) is not None  # a worker holds it, e.g. in a long call
    assert pipeline.seconds_to_next_due() == pytest.approx(300, abs=5)


def test_the_schedules_go_to_the_cluster_the_tasks_go_to(monkeypatch):
    from django_q.conf import Conf
    from django_q.models import Schedule

    from django_tryon.schedules import CLEANUP, SWEEP, register_schedules

    monkeypatch.setattr(Conf, "CLUSTER_NAME", Conf.PREFIX)
    register_schedules()
    assert set(
        Schedule.objects.filter(name__in=(SWEEP, CLEANUP)).values_list("cluster", flat=True)
    ) == {None}
    monkeypatch.setattr(Conf, "CLUSTER_NAME", "tryon-workers")
    register_schedules()
    assert set(
        Schedule.objects.filter(name__in=(SWEEP, CLEANUP)).values_list("cluster", flat=True)
    ) == {"tryon-workers"}
    assert Schedule.objects.filter(name=SWEEP).count() == 1


def test_a_change_clothes_result_url_is_kept_with_the_job_id(
    changeclothes_emulator, settings, garment, model_photo
):
    settings.TRYON = reliability_tryon(
        {"changeclothes": cc_alias(changeclothes_emulator)}, "changeclothes"
    )
    changeclothes_emulator.inject("reset", route="download")
    job = request_tryon(garment, model_photo)
    run_queued_tasks()
    job.refresh_from_db()
    assert job.error_code == "connection_error" and job.status == Status.RUNNING
    assert job.provider_data["result_url"].startswith(changeclothes_emulator.base_url)
    job = settle(job)
    assert job.status == Status.SUCCEEDED
    assert changeclothes_emulator.create_calls == 1  # fetched again, never made again


def test_a_model_photo_row_loads_without_reading_its_image(settings, db):
    photo = ModelPhoto(name="Alex")
    photo.image.save("alex.jpg", ContentFile(make_image()), save=False)  # a nameless file
    photo.save()
    assert (photo.image_width, photo.image_height) == (640, 800)
    storage = settings.STORAGES["default"]
    settings.STORAGES = {**settings.STORAGES, "default": {**storage}}  # an empty storage
    loaded = ModelPhoto.objects.get(pk=photo.pk)  # would raise if it opened the image
    assert loaded.image_width == 640


@pytest.fixture(autouse=True)
def _sandbox(settings: Any) -> None:
    settings.TRYON = reliability_tryon({}, "sandbox")
    assert SANDBOX
