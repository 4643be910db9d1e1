"""Storage faults: S3 (moto) answering errors, a bucket that disappears, a disk that fills up.

Results are saved through a loopback proxy in front of moto that fails chosen requests
(``s3faults.py``). Whatever fails, the job retries (bounded, never by submitting to the
provider again), nothing is left in the bucket that no job refers to, and nobody is
ever served a half-written result.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.core.files.storage import FileSystemStorage
from django.utils import timezone

from django_tryon.models import Source, Status, TryOnJob
from django_tryon.providers.base import MESSAGES
from django_tryon.services import request_tryon
from django_tryon.services.jobs import _request_tryon  # shopper plumbing: source, owner
from django_tryon.services.owners import OWNER_SESSION_KEY, owner_of
from django_tryon.storage import StorageError, private_storage, save_stream
from tests.providers.support import mh_alias
from tests.reliability.figures import record
from tests.reliability.s3faults import S3FaultProxy
from tests.reliability.support import BackoffSpy, creates_for, reliability_tryon, settle
from tests.s3 import CREDENTIALS

pytestmark = pytest.mark.s3
MB = 1024 * 1024


@pytest.fixture
def proxy(s3_server: str) -> Iterator[S3FaultProxy]:
    faults = S3FaultProxy(s3_server)
    yield faults
    faults.close()


@pytest.fixture
def bucket(proxy: S3FaultProxy, s3_server: str, settings: Any, db: Any) -> Any:
    """A fresh bucket as the default storage, reached through the fault proxy."""
    import uuid

    import boto3
    from botocore.config import Config

    name = f"tryon-faults-{uuid.uuid4().hex[:10]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,  # the test's own view of the bucket: straight to moto
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=name)
    s3 = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **CREDENTIALS,
            "bucket_name": name,
            "endpoint_url": proxy.url,
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
            "signature_version": "s3v4",
            # Two tries per request inside boto, so that a fault reaches the app quickly.
            "client_config": Config(retries={"max_attempts": 2, "mode": "standard"}),
        },
    }
    # Both of the app's storages (results go to the private one) behind the faulty proxy.
    settings.STORAGES = {**settings.STORAGES, "default": s3, "tryon_private": s3}
    client.name = name
    return client


def keys(client: Any, prefix: str = "tryon/results/") -> list[str]:
    try:
        listing = client.list_objects_v2(Bucket=client.name, Prefix=prefix)
    except client.exceptions.NoSuchBucket:
        return []
    return sorted(item["Key"] for item in listing.get("Contents", []))


def open_uploads(client: Any) -> list[str]:
    try:
        listing = client.list_multipart_uploads(Bucket=client.name)
    except client.exceptions.NoSuchBucket:
        return []
    return [upload["Key"] for upload in listing.get("Uploads", [])]


@pytest.fixture
def mh(magichour_emulator: Any, settings: Any) -> Any:
    settings.TRYON = reliability_tryon({"magichour": mh_alias(magichour_emulator)}, "magichour")
    return magichour_emulator


def until_storage_error(job: TryOnJob, rounds: int = 10) -> TryOnJob:
    """Run the job's steps (no waits skipped) until a save has failed once."""
    from django_tryon import pipeline
    from django_tryon.testing.queue import run_queued_tasks
    from tests.reliability.support import _in_test_transaction

    for _ in range(rounds):
        run_queued_tasks()
        job.refresh_from_db()
        if job.error_code == "storage_error":
            return job
        TryOnJob.objects.filter(pk=job.pk).update(next_check_at=timezone.now())
        with _in_test_transaction():
            pipeline.tick_once()
    raise AssertionError(f"no storage error: {job.status} {job.error_code}")


def shopper_client(client: Any, job: TryOnJob, secret: str) -> Any:
    session = client.session
    session[OWNER_SESSION_KEY] = secret
    session.save()
    return client


def result_served(client: Any, job: TryOnJob) -> tuple[int, bytes | None]:
    """What the owner gets from the result URL: (status, bytes of the picture if any)."""
    response = client.get(f"/tryon/jobs/{job.token}/result/")
    if response.status_code == 302:  # a signed URL of the bucket
        fetched = requests.get(response["Location"], timeout=10)
        return fetched.status_code, fetched.content
    if response.status_code == 200:
        return 200, b"".join(response.streaming_content)
    return response.status_code, None


@pytest.mark.parametrize(
    ("status", "what"), [(500, "InternalError"), (503, "SlowDown"), (0, "connection reset")]
)
def test_s3_errors_on_save_are_retried_and_leave_nothing(
    mh, bucket, proxy, garment, model_photo, client, monkeypatch, status, what
):
    spy = BackoffSpy().install(monkeypatch)
    secret = "shopper-secret"
    job = _request_tryon(garment, model_photo, source=Source.SHOPPER, owner=owner_of(secret))
    shopper_client(client, job, secret)
    # Every try of the first save fails (boto retries a few times itself), then S3 recovers.
    proxy.fail(method="PUT", path_contains="/tryon/results/", status=status, times=100)
    job = until_storage_error(job)
    proxy.clear()
    assert job.status == Status.RUNNING
    assert job.error_message == str(MESSAGES["storage_error"])
    # Nothing half-written anywhere: not in the bucket, not behind the shopper's URL.
    assert keys(bucket) == [] and open_uploads(bucket) == []
    assert result_served(client, job)[0] == 404
    assert client.get(f"/tryon/jobs/{job.token}/").json()["result_url"] is None

    job = settle(job)
    assert job.status == Status.SUCCEEDED, job.error_message
    assert keys(bucket) == [job.result.name]  # one object: no orphan of the failed try
    status_code, served = result_served(client, job)
    with private_storage().open(job.result.name, "rb") as handle:
        assert (status_code, served) == (200, handle.read())
    assert creates_for(mh, job) == 1  # a storage failure never submits again
    assert [call[0] for call in spy.calls] == [1]
    record("storage_faults", cases=1, orphans=0, half_written_served=0, extra_creates=0)


def test_a_multipart_upload_cut_halfway_is_aborted_and_retried(
    mh, bucket, proxy, garment, model_photo
):
    # A 9 MB result goes up in parts (boto's threshold is 8 MB); part 2 fails every try.
    mh.inject("oversized", route="download", size=9 * MB, times=2)
    proxy.fail(method="PUT", path_contains="partNumber=2", status=500, times=100)
    job = until_storage_error(request_tryon(garment, model_photo))
    assert open_uploads(bucket) == [] and keys(bucket) == []
    proxy.clear()
    job = settle(job)
    assert job.status == Status.SUCCEEDED, job.error_message
    assert keys(bucket) == [job.result.name]
    assert open_uploads(bucket) == []  # the cut upload was aborted, no parts left behind
    assert bucket.head_object(Bucket=bucket.name, Key=job.result.name)["ContentLength"] == 9 * MB
    assert any("partNumber=2" in path and code == 500 for _, path, code in proxy.requests_seen)
    assert creates_for(mh, job) == 1
    record("storage_faults", cases=1, orphans=0, half_written_served=0, extra_creates=0)


def test_a_bucket_that_disappears_fails_the_job_after_bounded_retries(
    mh, bucket, settings, garment, model_photo, monkeypatch
):
    settings.TRYON = {
        **settings.TRYON,
        "PROVIDERS": {
            **settings.TRYON["PROVIDERS"],
            "magichour": {**settings.TRYON["PROVIDERS"]["magichour"], "FIRST_POLL_AFTER": 5},
        },
    }
    spy = BackoffSpy().install(monkeypatch)
    job = request_tryon(garment, model_photo)
    from django_tryon import pipeline
    from django_tryon.testing.queue import run_queued_tasks
    from tests.reliability.support import _in_test_transaction

    run_queued_tasks()
    with _in_test_transaction():
        pipeline.tick_once()
    run_queued_tasks()  # submitted; the result is fetched later
    job.refresh_from_db()
    assert job.status == Status.RUNNING and job.provider_job_id
    # The bucket goes away, inputs and all.
    for key in keys(bucket, prefix=""):
        bucket.delete_object(Bucket=bucket.name, Key=key)
    bucket.delete_bucket(Bucket=bucket.name)

    job = settle(job)
    assert (job.status, job.error_code) == (Status.FAILED, "storage_error")
    assert not job.result
    assert len(spy.calls) == settings.TRYON["MAX_TRANSIENT_ERRORS"] - 1  # bounded
    assert creates_for(mh, job) == 1  # never submitted (and paid for) again
    record("storage_faults", cases=1, orphans=0, half_written_served=0, extra_creates=0)


class FillsUp(FileSystemStorage):
    """A disk that fills up after the first 1000 bytes of a result."""

    def _save(self, name: str, content: Any) -> str:
        if "/results/" in f"/{name}" and getattr(type(self), "full", False):
            real = content.chunks

            def chunks(chunk_size: int | None = None) -> Iterator[bytes]:
                data = b"".join(real())
                yield data[:1000]
                raise OSError(errno.ENOSPC, "No space left on device")

            content.chunks = chunks
        return super()._save(name, content)


@pytest.fixture
def disk(settings: Any, tmp_path: Any) -> Any:
    """A local-disk storage that can fill up (switched before the test stores its images)."""
    fills_up = {"BACKEND": f"{__name__}.FillsUp", "OPTIONS": {"location": str(tmp_path)}}
    settings.STORAGES = {**settings.STORAGES, "default": fills_up, "tryon_private": fills_up}
    yield tmp_path
    FillsUp.full = False


def test_a_full_disk_leaves_no_partial_file_and_the_job_retries(disk, mh, garment, model_photo):
    job = request_tryon(garment, model_photo)
    FillsUp.full = True
    job = until_storage_error(job)
    assert list((disk / "tryon").glob("results/**/*.*")) == []  # the partial file is gone
    FillsUp.full = False
    job = settle(job)
    assert job.status == Status.SUCCEEDED
    assert [p.name for p in (disk / "tryon").glob("results/**/*.*")] == [
        job.result.name.rsplit("/", 1)[-1]
    ]
    record("storage_faults", cases=1, orphans=0, half_written_served=0, extra_creates=0)


def test_save_stream_turns_any_backend_error_into_a_storage_error(settings):
    class Broken(FileSystemStorage):
        def _save(self, name: str, content: Any) -> str:
            raise RuntimeError("botocore says no")

    settings.STORAGES = {**settings.STORAGES, "tryon_private": {"BACKEND": f"{__name__}.FillsUp"}}
    import io

    from django.core.files.storage import storages

    storages._storages["tryon_private"] = Broken()  # where results are streamed
    with pytest.raises(StorageError):
        save_stream("results", "png", io.BytesIO(b"\x89PNG\r\n\x1a\n"))
