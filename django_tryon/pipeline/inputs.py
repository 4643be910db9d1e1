"""A job as the provider sees it: the request built from the job's images, and its handle."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from ..imaging import sniff_image_format
from ..models import TryOnJob
from ..providers.base import (
    BaseProvider,
    GarmentInput,
    ImageInput,
    JobState,
    ProviderJob,
    TryOnRequest,
)
from ..storage import StorageError
from .outfits import garment_inputs, job_garments, next_batch, starts_from_chain


def provider_job(job: TryOnJob) -> ProviderJob:
    """The provider's job, as far as our row knows it."""
    return ProviderJob(
        id=job.provider_job_id,
        state=JobState.RUNNING,
        data=dict(job.provider_data),
        result_url=job.provider_data.get("result_url", ""),
    )


def _image_input(field_file: Any) -> ImageInput:
    try:
        with field_file.open("rb") as handle:
            content = handle.read()
    except OSError:
        raise
    except Exception as exc:  # e.g. boto's errors for a missing key or bucket
        raise StorageError(f"{type(exc).__name__} while reading {field_file.name}") from exc
    url = ""
    with suppress(NotImplementedError):  # storages without URLs (private local files)
        url = field_file.storage.url(field_file.name)  # its own storage: public or private
    return ImageInput(
        content=content,
        format=sniff_image_format(content[:32]) or "JPEG",
        url=url if url.startswith("https://") else "",
    )


def build_request(job: TryOnJob, provider: BaseProvider | None = None) -> TryOnRequest:
    """What the provider sees of a job's current call; built once per job and worker (it
    reads the images). An outfit's call wears the garments ``provider`` takes at once, on
    the previous call's picture where there was one (see ``outfits``)."""
    cached: TryOnRequest | None = getattr(job, "_tryon_request", None)
    if cached is not None:
        return cached
    garment = job.garment
    extra: list[GarmentInput] = []
    if job.outfit_size > 1:
        batch = next_batch(job, provider) if provider is not None else job_garments(job)
        garment = batch[0] if batch else garment
        extra = garment_inputs(batch[1:], _image_input)
    person = job.outfit_image if starts_from_chain(job) else job.person_file
    job._tryon_request = TryOnRequest(  # type: ignore[attr-defined]
        person=_image_input(person),
        garment=_image_input(garment.image) if garment is not None and garment.image else None,
        category=garment.category if garment is not None else job.category,
        description=garment.description if garment is not None else "",
        prompt=job.prompt or (garment.prompt if garment is not None else ""),
        options=dict(job.options),
        name=f"django-tryon job {job.pk}",
        attempt=max(1, job.attempts),
        extra_garments=extra,
    )
    return job._tryon_request  # type: ignore[attr-defined]
