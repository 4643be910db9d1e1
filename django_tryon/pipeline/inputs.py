"""A job as the provider sees it: the request built from the job's images, and its handle."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from ..imaging import sniff_image_format
from ..models import TryOnJob
from ..providers.base import ImageInput, JobState, ProviderJob, TryOnRequest
from ..storage import StorageError


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


def build_request(job: TryOnJob) -> TryOnRequest:
    """What the provider sees of a job; built once per job and worker (it reads the images)."""
    cached: TryOnRequest | None = getattr(job, "_tryon_request", None)
    if cached is not None:
        return cached
    garment = job.garment
    job._tryon_request = TryOnRequest(  # type: ignore[attr-defined]
        person=_image_input(job.person_file),
        garment=_image_input(garment.image) if garment is not None and garment.image else None,
        category=job.category,
        description=garment.description if garment is not None else "",
        prompt=job.prompt or (garment.prompt if garment is not None else ""),
        options=dict(job.options),
        name=f"django-tryon job {job.pk}",
        attempt=max(1, job.attempts),
    )
    return job._tryon_request  # type: ignore[attr-defined]
