"""Outfits: one job, several garments, in as few provider calls as the provider allows.

A provider whose ``garment_limit`` covers the outfit puts every garment on in one call
(``TryOnRequest.extra_garments``). Otherwise the job is a *chain*: each call puts the
next batch of garments on the previous call's result. Between calls the row says how far
the chain got: ``outfit_done`` garments are worn by ``outfit_image``. Finishing a call
that is not the last one stores its picture there and sends the job back to ``pending``,
with no provider job id, so the next call is a new ``start`` like any other: the slot,
the at-most-once create (the provider's id is saved before anything else) and the
recovery after a crash are the single job's, step by step. A worker that dies after
storing a call's picture but before recording it leaves the row as it was (``fetch``
again, no new create); one that dies after recording it leaves a pending job.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from ..models import Garment, Status, TryOnJob
from ..providers.base import BaseProvider, GarmentInput, ImageInput
from ..storage import delete_quietly
from .claims import write
from .wakeups import ensure_drain

logger = logging.getLogger("django_tryon.pipeline")


def job_garments(job: TryOnJob) -> list[Garment]:
    """Every garment of ``job``, in order, read once per job and worker."""
    cached: list[Garment] | None = getattr(job, "_tryon_garments", None)
    if cached is None:
        cached = job.outfit_garments()
        job._tryon_garments = cached  # type: ignore[attr-defined]
    return cached


def next_batch(job: TryOnJob, provider: BaseProvider) -> list[Garment]:
    """The garments the job's next (or current) provider call puts on."""
    remaining = job_garments(job)[job.outfit_done :]
    if not remaining:
        return []
    return remaining[: provider.garment_limit]


def is_last_call(job: TryOnJob, provider: BaseProvider) -> bool:
    """Whether the current call puts on the outfit's last garments."""
    if job.outfit_size <= 1:
        return True
    return job.outfit_done + len(next_batch(job, provider)) >= len(job_garments(job))


def starts_from_chain(job: TryOnJob) -> bool:
    """Whether the current call starts from an earlier call's picture, not the person's."""
    return job.outfit_done > 0 and bool(job.outfit_image)


def garment_inputs(batch: list[Garment], read: Any) -> list[GarmentInput]:
    """A batch as the provider sees it; ``read`` turns a stored file into an ``ImageInput``."""
    return [
        GarmentInput(
            image=read(garment.image) if garment.image else ImageInput(b"", "JPEG"),
            category=garment.category,
            description=garment.description,
        )
        for garment in batch
    ]


def continue_chain(job: TryOnJob, provider: BaseProvider, picture: str) -> bool:
    """Record a call's ``picture`` as the start of the next call, and queue that call.

    Under the job's lease, in one write: a worker that lost the lease changes nothing
    (the caller deletes ``picture``). True when the chain goes on.
    """
    done = job.outfit_done + len(next_batch(job, provider))
    previous = job.outfit_image.name if job.outfit_image else ""
    calls = [
        *job.provider_data.get("outfit_calls", []),
        {
            "alias": job.provider,
            "provider_job_id": job.provider_job_id,
            "credits": int(job.provider_data.get("credits", 0) or 0),
            "garments": done,
        },
    ]
    carried = {
        key: job.provider_data[key]
        for key in ("uncertain_submissions",)
        if key in job.provider_data
    }
    if not write(
        job,
        status=Status.PENDING,
        provider_job_id="",
        provider_data={**carried, "outfit_calls": calls},
        result_ready_at=None,
        transient_errors=0,
        outfit_image=picture,
        outfit_done=done,
        next_check_at=timezone.now(),
    ):
        return False
    job.__dict__.pop("_tryon_request", None)  # the next call is another request
    if previous and previous != picture:
        delete_quietly(previous, job.outfit_image.storage)
    logger.info(
        "Job %s: %s of %s garments on, next call queued", job.pk, done, len(job_garments(job))
    )
    ensure_drain()
    return True
