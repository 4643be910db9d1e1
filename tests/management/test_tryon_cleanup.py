"""tryon_cleanup and the hourly schedule: expired shopper try-ons go, files in storage too."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from django_tryon import tasks
from django_tryon.models import ShopperPhoto, Source, TryOnJob
from django_tryon.schedules import CLEANUP, register_schedules
from django_tryon.services.jobs import _request_tryon  # shopper plumbing: source, owner
from django_tryon.storage import private_storage
from tests.fixtures import make_image

pytestmark = pytest.mark.django_db


def shopper_job(garment, n: int, *, age_hours: float = 0, drive=None) -> TryOnJob:
    job = _request_tryon(
        garment,
        make_image((640, 800), color=(n * 20, 90, 90)),
        source=Source.SHOPPER,
        owner="f" * 64,
        consent_version="1",
    )
    if drive is not None:
        drive()
        job.refresh_from_db()
    if age_hours:
        past = timezone.now() - timedelta(hours=age_hours)
        TryOnJob.objects.filter(pk=job.pk).update(expires_at=past)
        # No job outlives the visit's photo it was made from: the photo expired as well.
        ShopperPhoto.objects.filter(pk=job.shopper_photo_id).update(expires_at=past)
    assert job.shopper_photo is not None  # loaded now: its file is checked once it is deleted
    return job


def files_of(job: TryOnJob) -> list[str]:
    photo = job.shopper_photo.image if job.shopper_photo else job.person_image  # the visit's
    return [f.name for f in (photo, job.result, job.mask) if f]


@pytest.fixture
def jobs(garment, model_photo, drive):
    expired = [
        shopper_job(garment, 1, age_hours=1, drive=drive),
        shopper_job(garment, 2, age_hours=30),
    ]
    fresh = shopper_job(garment, 3, drive=drive)
    merchant = _request_tryon(garment, model_photo, source=Source.ADMIN)
    drive()
    merchant.refresh_from_db()
    return expired, fresh, merchant


def run(*args: str) -> str:
    out = StringIO()
    call_command("tryon_cleanup", *args, stdout=out)
    return out.getvalue()


def check_deleted(expired, fresh, merchant, storage) -> None:
    for job in expired:
        assert not TryOnJob.objects.filter(pk=job.pk).exists()
        for name in files_of(job):
            assert not storage.exists(name), name
    for job in (fresh, merchant):
        assert TryOnJob.objects.filter(pk=job.pk).exists()
        for name in files_of(job):
            assert storage.exists(name)


def test_dry_run_deletes_nothing(jobs):
    output = run("--dry-run")
    assert "2 expired try-on(s) with 4 file(s) would be deleted" in output
    assert TryOnJob.objects.count() == 4


def test_cleanup_deletes_expired_jobs_and_their_files(jobs):
    expired, fresh, merchant = jobs
    assert len(files_of(expired[0])) == 2  # the photo and the result
    output = run()
    assert "Deleted 2 expired try-on(s) and 4 file(s) (retention: 24 h)." in output
    check_deleted(expired, fresh, merchant, private_storage())
    assert "Deleted 0 expired" in run()


def test_cleanup_on_s3(s3_storage, garment, model_photo, drive):
    import boto3

    expired = [shopper_job(garment, 1, age_hours=2, drive=drive)]
    fresh = shopper_job(garment, 2, drive=drive)
    merchant = _request_tryon(garment, model_photo, source=Source.ADMIN)
    drive()
    merchant.refresh_from_db()
    options = s3_storage["OPTIONS"]
    s3 = boto3.client(
        "s3",
        endpoint_url=options["endpoint_url"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )

    def keys() -> set[str]:
        listing = s3.list_objects_v2(Bucket=options["bucket_name"])
        # Names relative to either storage: job files live under the private one's "private/".
        return {item["Key"].removeprefix("private/") for item in listing.get("Contents", [])}

    doomed = set(files_of(expired[0]))
    assert doomed and doomed <= keys()
    assert "Deleted 1 expired try-on(s) and 2 file(s)" in run()
    assert not doomed & keys()
    assert set(files_of(fresh)) <= keys() and set(files_of(merchant)) <= keys()
    check_deleted(expired, fresh, merchant, private_storage())


def test_hourly_schedule_is_registered_once_and_runs_the_cleanup(jobs):
    from django_q.models import Schedule

    register_schedules()
    register_schedules()
    schedule = Schedule.objects.get(name=CLEANUP)
    assert schedule.func == "django_tryon.tasks.cleanup"
    assert schedule.schedule_type == Schedule.HOURLY and schedule.repeats == -1
    assert Schedule.objects.filter(name=CLEANUP).count() == 1

    expired, fresh, merchant = jobs
    assert tasks.cleanup() == 2
    check_deleted(expired, fresh, merchant, private_storage())


def test_retention_setting_sets_the_expiry(garment, settings):
    settings.TRYON = {**settings.TRYON, "SHOPPER_RETENTION_HOURS": 2}
    job = shopper_job(garment, 1)
    assert job.expires_at - job.created_at == timedelta(hours=2)
