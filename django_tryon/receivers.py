"""Stored files go with their rows, however a row is deleted.

The admin's delete, a cascade from a deleted garment or product, ``tryon_cleanup`` and the
shopper's "Delete my photo now" all end in ``post_delete``: one place deletes the files.
They are deleted at once rather than on commit: a shopper who asked for deletion must
not find the photo still stored because a surrounding transaction was rolled back.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Garment, ModelPhoto, ShopperPhoto, TryOnJob
from .storage import delete_quietly


@receiver(post_delete, sender=TryOnJob, dispatch_uid="tryon-job-files")
def delete_job_files(instance: TryOnJob, **kwargs: Any) -> None:
    for stored in (instance.person_image, instance.result, instance.mask, instance.outfit_image):
        delete_quietly(stored.name, stored.storage)


@receiver(post_delete, sender=Garment, dispatch_uid="tryon-garment-image")
@receiver(post_delete, sender=ModelPhoto, dispatch_uid="tryon-model-photo-image")
@receiver(post_delete, sender=ShopperPhoto, dispatch_uid="tryon-shopper-photo-image")
def delete_image(instance: Garment | ModelPhoto | ShopperPhoto, **kwargs: Any) -> None:
    delete_quietly(instance.image.name, instance.image.storage)
    if isinstance(instance, ShopperPhoto):  # and its thumbnail, beside it
        delete_quietly(instance.thumbnail_name, instance.image.storage)
