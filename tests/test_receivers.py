"""Stored files go with their rows, whichever way the row is deleted."""

import pytest
from django.core.files.storage import storages

from django_tryon.models import TryOnJob
from django_tryon.services import request_tryon
from django_tryon.services.jobs import _request_tryon  # shopper plumbing: source, owner

pytestmark = pytest.mark.django_db(transaction=True)


def test_deleting_a_garment_removes_the_files_of_its_jobs(garment, model_photo, drive):
    job = request_tryon(garment, model_photo)
    drive()
    job.refresh_from_db()
    stored = [
        (storages["tryon_private"], job.result.name),
        (storages["default"], garment.image.name),
    ]
    assert all(storage.exists(name) for storage, name in stored)
    garment.delete()  # cascades to the job
    assert not TryOnJob.objects.exists()
    assert not any(storage.exists(name) for storage, name in stored)


def test_deleting_jobs_in_bulk_removes_their_files(garment, jpeg_photo):
    job = _request_tryon(garment, jpeg_photo, source="shopper")
    assert storages["tryon_private"].exists(job.person_image.name)
    TryOnJob.objects.all().delete()
    assert not storages["tryon_private"].exists(job.person_image.name)
