"""Garments keep the digest of their image from the moment it is saved (``DIGEST_ON_SAVE``):
fill it in for the garments saved before, hashing the stored bytes (no decoding)."""

import hashlib

from django.db import migrations


def digest_garment_images(apps, schema_editor):
    Garment = apps.get_model("django_tryon", "Garment")
    pending = Garment.objects.filter(image_digest="").exclude(image="")
    for garment in pending.iterator(chunk_size=500):
        hasher = hashlib.sha256()
        try:
            with garment.image.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 16), b""):
                    hasher.update(chunk)
        except OSError:
            continue  # not readable now: image_sha256() hashes it on first use
        Garment.objects.filter(pk=garment.pk).update(image_digest=hasher.hexdigest())


class Migration(migrations.Migration):
    dependencies = [("django_tryon", "0008_conversions")]

    operations = [migrations.RunPython(digest_garment_images, migrations.RunPython.noop)]
