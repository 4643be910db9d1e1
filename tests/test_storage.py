"""Files go to the TRYON["STORAGE"] alias, under random names, on any storage backend."""

import io
import re

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from django_tryon.models import Status, TryOnJob
from django_tryon.services import delete_job, request_tryon
from django_tryon.storage import (
    get_private_storage,
    get_storage,
    random_name,
    save_stream,
    upload_to,
)
from tests.cluster import wait_until
from tests.fixtures import create_garment, create_model_photo

RANDOM_NAME = re.compile(r"^tryon/results/\d{4}/\d{2}/[A-Za-z0-9_-]{22}\.jpg$")


def test_random_names_carry_no_user_input():
    name = upload_to("people")(None, "../../etc/passwd<script>.JPEG")
    assert name.startswith("tryon/people/") and ".." not in name and "passwd" not in name
    assert name.endswith(".jpg")
    assert upload_to("people")(None, "evil.php").endswith(".bin")
    assert random_name("results", "jpg") != random_name("results", "jpg")
    assert RANDOM_NAME.match(random_name("results", "jpg"))


def test_storage_prefix_is_configurable(settings):
    settings.TRYON = {**settings.TRYON, "STORAGE_PREFIX": "shop-tryon"}
    assert random_name("results", "png").startswith("shop-tryon/results/")


def test_the_storage_alias_is_resolved_at_call_time(settings, tmp_path):
    saved_in_memory = get_storage().save("tryon/a.txt", ContentFile(b"a"))
    assert storages["default"].exists(saved_in_memory)

    settings.STORAGES = {
        **settings.STORAGES,
        "tryon": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    settings.TRYON = {**settings.TRYON, "STORAGE": "tryon"}
    name = get_storage().save("tryon/b.txt", ContentFile(b"b"))
    assert (tmp_path / name).read_bytes() == b"b"
    assert not get_storage().exists(saved_in_memory)


def test_save_stream_reads_in_chunks(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "tryon_private": {
            "BACKEND": "django_tryon.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }

    class Recording(io.BytesIO):
        largest = 0

        def read(self, size=-1):
            data = super().read(size)
            Recording.largest = max(Recording.largest, len(data))
            return data

    name = save_stream("results", "jpg", Recording(b"x" * (5 * 2**20)))
    assert (tmp_path / name).stat().st_size == 5 * 2**20
    assert Recording.largest < 5 * 2**20, "the whole file was read at once"


@pytest.mark.django_db
@pytest.mark.parametrize("backend", ["memory", "files"])
def test_a_job_stores_its_result_on_the_configured_storage(
    backend, settings, tmp_path, product, drive
):
    if backend == "files":
        settings.STORAGES = {
            **settings.STORAGES,
            "tryon_private": {
                "BACKEND": "django_tryon.storage.PrivateFileSystemStorage",
                "OPTIONS": {"location": str(tmp_path)},
            },
        }
    job = request_tryon(create_garment(product), create_model_photo())
    assert drive() == 0
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED
    assert RANDOM_NAME.match(job.result.name)
    assert get_private_storage().exists(job.result.name)
    if backend == "files":
        assert (tmp_path / job.result.name).stat().st_size > 1000


@pytest.mark.s3
@pytest.mark.django_db
def test_s3_save_exists_signed_url_and_delete(s3_storage, product, drive):
    job = request_tryon(create_garment(product), create_model_photo())
    assert drive() == 0
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED
    storage = get_private_storage()
    assert storage.exists(job.result.name)
    url = storage.url(job.result.name)
    assert "X-Amz-Signature=" in url and "Expires=" in url
    fetched = requests.get(url, timeout=10)
    assert fetched.status_code == 200 and fetched.content[:3] == b"\xff\xd8\xff"

    name = job.result.name
    delete_job(job)
    assert not storage.exists(name)
    assert not TryOnJob.objects.filter(pk=job.pk).exists()


@pytest.mark.s3
@pytest.mark.cluster
def test_a_qcluster_process_writes_results_to_s3(qcluster, s3_storage, product):
    qcluster(storage=s3_storage)  # the subprocess gets the same bucket and endpoint
    garment, photo = create_garment(product), create_model_photo()
    jobs = [request_tryon(garment, photo, options={"n": i}) for i in range(3)]
    ids = [j.pk for j in jobs]
    assert wait_until(
        lambda: TryOnJob.objects.filter(pk__in=ids, status=Status.SUCCEEDED).count() == 3, 60
    )
    for job in TryOnJob.objects.filter(pk__in=ids):
        assert get_private_storage().exists(job.result.name)
        assert get_private_storage().size(job.result.name) > 1000
