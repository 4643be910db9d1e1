"""Creating, waiting on, canceling, retrying and deleting try-on jobs."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import time
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import budget, pipeline, rate_limits, signals
from ..conf import tryon_settings
from ..errors import ErrorCode, JobTimeout, UnknownProvider
from ..imaging import ImageInfo, decoding, normalize_photo, validate_image
from ..models import (
    ACTIVE_STATUSES,
    Category,
    Garment,
    ModelPhoto,
    OutfitPart,
    ShopperPhoto,
    Source,
    Status,
    TryOnJob,
)
from ..photo_checks import check_photo_quality
from ..providers import get_provider
from ..providers.base import BaseProvider, ImageInput, ProviderError, TryOnRequest
from ..storage import delete_quietly, get_private_storage, random_name
from . import photos
from .outfits import check_outfit, outfit_credits, outfit_fingerprint_parts

PersonImage = ModelPhoto | ShopperPhoto | bytes | IO[bytes]


@dataclass(frozen=True)
class PreparedImage:
    """An image checked by content, with the digest that goes into fingerprints."""

    info: ImageInfo
    content: bytes | None = None  # new bytes to store (a normalised upload), else None


def resolve_provider(alias: str | None) -> BaseProvider:
    try:
        return get_provider(alias)
    except UnknownProvider:
        raise ValidationError(
            _("Unknown try-on provider %(alias)r."),
            code=ErrorCode.UNKNOWN_PROVIDER,
            params={"alias": alias},
        ) from None


def prepare_upload(
    upload: bytes | IO[bytes], *, check_quality: bool = False, category: str | None = None
) -> PreparedImage:
    """Validate an uploaded person photo and re-encode it without metadata.

    With ``check_quality``, the photo checks (``django_tryon.photo_checks``) refuse a
    photo that can't make a good try-on of a garment of ``category``.
    """
    handle = io.BytesIO(upload) if isinstance(upload, bytes | bytearray) else upload
    # One turn on a decode thread for all three decodes: an upload never waits twice.
    content, info = decoding(_prepared, handle, check_quality, category)
    return PreparedImage(info, content)


def _prepared(
    handle: IO[bytes], check_quality: bool, category: str | None
) -> tuple[bytes, ImageInfo]:
    validate_image(handle)
    if check_quality:
        check_photo_quality(handle, category=category)
    return normalize_photo(handle)


def fingerprint(
    *,
    person_digest: str,
    garment_digest: str,
    prompt: str,
    category: str,
    provider: str,
    options: dict[str, Any],
    description: str = "",
) -> str:
    """Identical inputs give an identical fingerprint; its result can be reused for free.

    The garment's description counts: some providers use it to shape the result.
    """
    material = json.dumps(
        [
            person_digest,
            garment_digest,
            prompt.strip(),
            description.strip(),
            category,
            provider,
            options,
        ],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(material.encode()).hexdigest()


def check_request(
    provider: BaseProvider,
    *,
    category: str,
    garment: Garment | None,
    prompt: str,
    options: dict[str, Any],
    person: PreparedImage | None = None,
) -> None:
    """What the provider can't do is refused before anything is stored or spent."""
    if category not in Category.values:
        raise ValidationError(
            _("Unknown category %(c)r."), code=ErrorCode.INVALID_CATEGORY, params={"c": category}
        )
    if garment is None and not prompt:
        raise ValidationError(
            _("Choose a garment or describe one."), code=ErrorCode.GARMENT_REQUIRED
        )
    fmt = person.info.format if person else "JPEG"
    probe = TryOnRequest(
        person=ImageInput(b"", fmt),
        garment=ImageInput(b"", "JPEG") if garment is not None and garment.image else None,
        category=category,
        prompt=prompt or (garment.prompt if garment else ""),
        description=garment.description if garment else "",
        options=options,
    )
    try:
        provider.validate(probe)
    except ProviderError as error:
        raise ValidationError(error.message, code=error.code) from None


def credits_committed_today(*, source: str | None = None) -> int:
    """Credits committed today (all jobs, or shopper jobs): active jobs at their estimate."""
    return budget.committed(budget.SHOPPER if source == Source.SHOPPER else budget.ALL)


def check_budget(credits: int, *, source: str) -> None:
    """Refuse work that would take today's spend over a configured budget (a forecast:
    creating the jobs takes the credits with ``budget.reserve``, which decides)."""
    if credits and not budget.fits(credits, source=source):
        raise budget.exceeded()


def find_reusable(fp: str, *, owner: str = "") -> TryOnJob | None:
    """The latest success with this fingerprint that ``owner`` may reuse, or None.

    Only its result is loaded. See ``TryOnJobQuerySet.reusable_by`` for whose results count.
    """
    return (
        TryOnJob.objects.reusable_by(owner)
        .filter(fingerprint=fp)
        .order_by("-finished_at")
        .only("result")
        .first()
    )


def request_tryon(
    garment: Garment | None,
    person_image: PersonImage,
    *,
    provider: str | None = None,
    category: str | None = None,
    prompt: str = "",
    options: dict[str, Any] | None = None,
    reuse: bool = True,
    wait: bool = False,
    timeout: float | None = None,
) -> TryOnJob:
    """Ask for ``person_image`` wearing ``garment`` (or the garment ``prompt`` describes).

    ``person_image`` is a ``ModelPhoto`` or the bytes or file of an uploaded photo. Inputs
    are checked by content and against the provider before anything is stored or spent;
    bad input raises ``ValidationError`` naming the problem. An identical earlier success
    is reused for 0 credits. The job is enqueued once the transaction commits; with
    ``wait=True`` this blocks until it ends (``JobTimeout`` after ``timeout`` seconds).
    """
    job = _request_tryon(
        garment,
        person_image,
        provider=provider,
        category=category,
        prompt=prompt,
        options=options,
        reuse=reuse,
    )
    return wait_for(job, timeout=timeout) if wait else job


def _request_tryon(
    garment: Garment | None,
    person_image: PersonImage,
    *,
    provider: str | None = None,
    category: str | None = None,
    prompt: str = "",
    options: dict[str, Any] | None = None,
    reuse: bool = True,
    source: str = Source.API,
    owner: str = "",
    consent_version: str = "",
    check_quality: bool | None = None,
    extra_garments: Sequence[Garment] = (),
    chain_from: TryOnJob | None = None,
) -> TryOnJob:
    """``request_tryon`` with the plumbing that only the app's own services set.

    The shopper service (``source`` shopper, the session's ``owner``, the
    ``consent_version`` shown, photo quality checks) and retries (the failed job's
    source, owner and consent) call this; shop code calls ``request_tryon``.
    ``extra_garments`` make it an outfit (``request_outfit``); ``chain_from`` is an
    earlier success wearing the outfit's first garments: where the outfit takes several
    calls anyway, its result is where the chain starts, and those calls are not paid again.
    """
    backend = resolve_provider(provider)
    alias = backend.alias
    options = dict(options or {})
    category = category or (garment.category if garment else "upper_body")
    outfit = [garment, *extra_garments] if garment is not None and extra_garments else []
    if outfit:
        check_outfit(backend, outfit)
        garment_side = outfit_fingerprint_parts(outfit)
    else:
        if garment is not None and not garment.is_active:
            raise ValidationError(
                _("This garment is not available for try-on."), code=ErrorCode.GARMENT_INACTIVE
            )
        check_request(backend, category=category, garment=garment, prompt=prompt, options=options)
        garment_side = {
            "garment_digest": garment.image_sha256()
            if garment is not None and garment.image
            else "",
            "description": garment.description if garment else "",
            "category": category,
        }
    upload: PreparedImage | None = None
    shopper_photo: ShopperPhoto | None = None
    if isinstance(person_image, ModelPhoto):
        person_digest = person_image.image_sha256()
        model_photo: ModelPhoto | None = person_image
    elif isinstance(person_image, ShopperPhoto):  # the visit's photo, checked when uploaded
        person_digest, model_photo = person_image.image_sha256(), None
        shopper_photo = person_image
    else:
        if check_quality is None:
            check_quality = source == Source.SHOPPER
        upload = prepare_upload(person_image, check_quality=check_quality, category=category)
        person_digest, model_photo = upload.info.digest, None

    fp = fingerprint(
        person_digest=person_digest,
        prompt=prompt or (garment.prompt if garment else ""),
        provider=alias,
        options=options,
        **garment_side,
    )
    now = timezone.now()
    fields: dict[str, Any] = {
        "garment": garment,
        "prompt": prompt,
        "category": category,
        "model_photo": model_photo,
        "shopper_photo": shopper_photo,
        "options": options,
        "fingerprint": fp,
        "provider": alias,
        "source": source,
        "owner": owner,
        "created_at": now,
    }
    if source == Source.SHOPPER:
        fields["expires_at"] = now + timedelta(hours=tryon_settings.SHOPPER_RETENTION_HOURS)
    if consent_version:
        fields.update(consent_version=consent_version, consented_at=now)
    if shopper_photo is not None:  # no job outlives its photo; the photo's consent covers it
        fields["expires_at"] = min(fields.get("expires_at") or now, shopper_photo.expires_at)
        fields["consented_at"] = shopper_photo.consented_at or fields.get("consented_at")

    earlier = find_reusable(fp, owner=owner if source == Source.SHOPPER else "") if reuse else None
    estimate = 0
    # Garments an earlier success already wears, where the outfit is a chain of calls anyway.
    seeded = 0
    if outfit:
        fields["outfit_size"] = len(outfit)
        chained = backend.garment_limit < len(outfit)
        if earlier is None and chained and chain_from is not None and chain_from.result:
            seeded = min(chain_from.outfit_size, len(outfit) - 1)
    if earlier is None:
        estimate = (
            outfit_credits(backend, len(outfit) - seeded) if outfit else backend.estimate_credits()
        )
        fields.update(estimated_credits=estimate, next_check_at=now)

    stored: list[str] = []
    # A job row alone is one INSERT, atomic by itself; files stored with it need a transaction.
    files_too = upload is not None or earlier is not None or bool(outfit)
    keeps_photo = source == Source.SHOPPER and bool(owner)
    try:
        # Taken before anything is stored; given back if the job isn't created after all.
        with (
            budget.reserved(estimate, source=source, at=now),
            transaction.atomic() if files_too else nullcontext(),
        ):
            if upload is not None and upload.content is not None and keeps_photo:
                # A shopper's upload becomes the visit's photo: stored once, reused after.
                photo, names = photos.keep_photo(
                    owner, upload.content, upload.info, consent_version=consent_version, now=now
                )
                stored += names
                fields.update(shopper_photo=photo, expires_at=photo.expires_at)
            elif upload is not None and upload.content is not None:
                name = get_private_storage().save(
                    random_name("people", "jpg"), ContentFile(upload.content)
                )
                stored.append(name)
                fields["person_image"] = name
            if earlier is not None:
                fields["result"] = _copy_result(str(earlier.result.name))
                stored.append(fields["result"])
                fields.update(status=Status.SUCCEEDED, reused_from=earlier, finished_at=now)
            elif seeded and chain_from is not None:
                fields["outfit_image"] = _copy_result(str(chain_from.result.name))
                stored.append(fields["outfit_image"])
                fields["outfit_done"] = seeded
            job = TryOnJob.objects.create(**fields)
            OutfitPart.objects.bulk_create(
                OutfitPart(job=job, garment=part, position=position)
                for position, part in enumerate(outfit[1:], start=1)
            )
            if earlier is None:
                pipeline.start()
            else:
                transaction.on_commit(lambda: signals.job_succeeded.send(sender=TryOnJob, job=job))
    except BaseException:
        for name in stored:
            delete_quietly(name)
        raise
    return job


def _copy_result(name: str) -> str:
    """A copy of a stored result under a new random name (each job owns its files)."""
    storage = get_private_storage()
    extension = name.rsplit(".", 1)[-1] if "." in name else "jpg"
    with storage.open(name, "rb") as source:
        return storage.save(random_name("results", extension), source)


def wait_for(job: TryOnJob, *, timeout: float | None = None, interval: float = 0.5) -> TryOnJob:
    """Block until ``job`` ends, as the providers' SDKs do with ``wait_for_completion``."""
    stop_at = None if timeout is None else time.monotonic() + timeout
    while not job.is_terminal:
        if stop_at is not None and time.monotonic() >= stop_at:
            raise JobTimeout(job)
        time.sleep(interval)
        job.refresh_from_db()
    return job


async def arequest_tryon(
    garment: Garment | None,
    person_image: PersonImage,
    *,
    wait: bool = False,
    timeout: float | None = None,
    **kwargs: Any,
) -> TryOnJob:
    """``request_tryon`` for async views: never blocks the event loop while waiting."""
    job = await sync_to_async(request_tryon)(garment, person_image, **kwargs)
    if wait:
        stop_at = None if timeout is None else time.monotonic() + timeout
        while not job.is_terminal:
            if stop_at is not None and time.monotonic() >= stop_at:
                raise JobTimeout(job)
            await asyncio.sleep(0.5)
            await job.arefresh_from_db()
    return job


def cancel_job(job: TryOnJob) -> bool:
    """Cancel an active job, at the provider too where it can. False if it had ended."""
    return pipeline.cancel(job)


def retry_job(job: TryOnJob, *, provider: str | None = None) -> TryOnJob:
    """A new attempt at a failed or canceled job; the old one stays as history."""
    if job.status not in (Status.FAILED, Status.CANCELED):
        raise ValidationError(
            _("Only failed or canceled jobs can be retried."), code=ErrorCode.NOT_RETRYABLE
        )
    person: PersonImage
    if job.model_photo is not None:
        person = job.model_photo
    elif job.shopper_photo is not None:
        person = job.shopper_photo
    else:
        with job.person_image.open("rb") as handle:
            person = handle.read()
    new = _request_tryon(
        job.garment,
        person,
        extra_garments=job.outfit_garments()[1:],
        provider=provider or job.provider,
        category=job.category,
        prompt=job.prompt,
        options=job.options,
        source=job.source,
        owner=job.owner,
        consent_version=job.consent_version,
        check_quality=False,
    )
    TryOnJob.objects.filter(pk=new.pk).update(retry_of=job, batch=job.batch)
    new.retry_of, new.batch = job, job.batch
    return new


def delete_job(job: TryOnJob) -> None:
    """Delete a job; its stored files (shopper's photo, result, mask) go with it (receivers)."""
    if job.status in ACTIVE_STATUSES:
        pipeline.cancel(job)
    job.delete()


def delete_jobs(jobs: Iterable[TryOnJob]) -> int:
    count = 0
    for job in jobs:
        delete_job(job)
        count += 1
    return count


def delete_expired(now: datetime | None = None) -> int:
    """Delete shopper jobs past their retention time, files included, the rate limits'
    ended windows, and the conversion report's expired events and orders. Returns how
    many jobs."""
    from .conversions import delete_expired_conversions

    rate_limits.delete_ended(now)
    delete_expired_conversions(now)
    count = delete_jobs(TryOnJob.objects.expired(now).iterator())
    photos.delete_expired_photos(now)  # with any job still made from them (none outlives one)
    return count


def resume_provider(alias: str) -> int:
    """Let a paused alias take jobs again. Returns how many jobs were waiting on it."""
    resolve_provider(alias)
    return pipeline.resume_alias(alias)


def paused_providers() -> dict[str, str]:
    from ..models import ProviderState

    return dict(
        ProviderState.objects.filter(paused_at__isnull=False).values_list("alias", "pause_reason")
    )
