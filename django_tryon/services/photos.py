"""The visit's photo: one stored photo per shopper, reused by every try-on of the visit.

A shopper uploads their photo once; it is kept as a ``ShopperPhoto`` (private storage,
owned by the session's owner hash like jobs are) and every later try-on of the visit
refers to it instead of storing a copy. The consent given with the upload covers those
try-ons (each job still records it). Retention is the upload's: the photo expires
``SHOPPER_RETENTION_HOURS`` after it was (last) uploaded, and no job made from it outlives
it. Deleting the photo deletes every job made from it, results included, at once.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.http import HttpRequest

from .. import pipeline, signals
from ..conf import tryon_settings
from ..errors import ErrorCode, ShopperError
from ..imaging import ImageInfo, thumbnail
from ..models import ACTIVE_STATUSES, ShopperPhoto, Source, Status, TryOnJob
from ..storage import delete_quietly, get_private_storage, random_name
from .owners import get_owner

# A photo's token, as a job's (``shopper.TOKEN_RE``): anything else is not looked up.
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,32}$")


def retention_end(now: datetime) -> datetime:
    return now + timedelta(hours=tryon_settings.SHOPPER_RETENTION_HOURS)


def keep_photo(
    owner: str, content: bytes, info: ImageInfo, *, consent_version: str, now: datetime
) -> tuple[ShopperPhoto, list[str]]:
    """The owner's photo with these bytes: the one already stored, or a new one.

    Returns the photo and the names of the files newly stored (the photo and its
    thumbnail; none for a photo kept already), which the caller deletes should its
    transaction fail. Uploading the same photo again counts
    as a new upload: its consent and retention start again.
    """
    digest = info.digest
    photo = ShopperPhoto.objects.live(now).filter(owner=owner, image_digest=digest).first()
    if photo is not None:
        photo.consent_version, photo.consented_at = consent_version, now
        photo.created_at, photo.expires_at = now, retention_end(now)
        photo.save(update_fields=["consent_version", "consented_at", "created_at", "expires_at"])
        return photo, []
    storage = get_private_storage()
    name = storage.save(random_name("people", "jpg"), ContentFile(content))
    photo = ShopperPhoto(
        owner=owner,
        image=name,
        image_width=info.width,
        image_height=info.height,
        consent_version=consent_version,
        consented_at=now if consent_version else None,
        created_at=now,
        expires_at=retention_end(now),
    )
    try:
        small = storage.save(photo.thumbnail_name, ContentFile(thumbnail(io.BytesIO(content))))
    except BaseException:
        delete_quietly(name)
        raise
    photo.save()
    photo.image_digest = digest  # save() clears it for a file it didn't load; it is known
    ShopperPhoto.objects.filter(pk=photo.pk).update(image_digest=digest)
    return photo, [name, small]


def visit_photo(owner: str) -> ShopperPhoto | None:
    """The owner's latest live photo: what "Use my photo" offers."""
    if not owner:
        return None
    return ShopperPhoto.objects.live().filter(owner=owner).order_by("-created_at").first()


def get_visit_photo(request: HttpRequest, token: str) -> ShopperPhoto:
    """The session's own live photo with this token, or ``photo_gone``."""
    owner = get_owner(request)
    photo = (
        ShopperPhoto.objects.live().filter(owner=owner, token=token).first()
        if owner and TOKEN_RE.match(token or "")
        else None
    )
    if photo is None:
        raise ShopperError(ErrorCode.PHOTO_GONE)
    return photo


def latest_result(owner: str, garment_id: int) -> TryOnJob | None:
    """The owner's latest live success with this garment: shown again after a reload."""
    if not owner:
        return None
    return (
        TryOnJob.objects.live()
        .filter(owner=owner, source=Source.SHOPPER, garment_id=garment_id)
        .filter(status=Status.SUCCEEDED)
        .exclude(result="")
        .order_by("-finished_at")
        .first()
    )


def delete_photo(photo: ShopperPhoto, request: HttpRequest | None = None) -> int:
    """Delete the photo and every job made from it, files in storage included, now.

    Running jobs are canceled first (at the provider too, where it can). Returns how many
    jobs were deleted. Files go in ``post_delete`` receivers, at once (see receivers.py).
    """
    jobs = list(photo.jobs.all())
    for job in jobs:
        if job.status in ACTIVE_STATUSES:
            pipeline.cancel(job)
    photo.delete()  # cascades to the jobs; each job's result and mask go with it
    if request is not None:  # the shopper asked (retention sends nothing, as for jobs)
        for job in jobs:
            signals.shopper_job_deleted.send(sender=TryOnJob, job=job, request=request)
    return len(jobs)


def delete_expired_photos(now: datetime | None = None) -> int:
    """Retention: photos past their time go, with any job still made from them."""
    count = 0
    for photo in ShopperPhoto.objects.expired(now).iterator():
        delete_photo(photo)
        count += 1
    return count
