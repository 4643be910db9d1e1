"""Data migrations, run on rows as an older version left them."""

import importlib

import pytest
from django.apps import apps

from django_tryon.models import Garment


@pytest.mark.django_db
def test_garments_saved_before_0009_get_the_digest_of_their_stored_image(garment):
    kept = garment.image_digest
    Garment.objects.update(image_digest="")  # as saved before 0009
    migration = importlib.import_module("django_tryon.migrations.0009_garment_image_digests")
    migration.digest_garment_images(apps, None)
    assert Garment.objects.get(pk=garment.pk).image_digest == kept != ""
