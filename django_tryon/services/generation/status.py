"""A batch's live status, as the batch pages show it and ``batch.js`` polls it.

One document for every page that follows a batch (the Django admin's, Oscar's dashboard):
the progress figures, the state of the first jobs (the cards) and the bar's segments.
Each page passes how it serves a result picture, under its own permission checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...models import Status, TryOnBatch, TryOnJob
from .batches import BatchProgress, batch_progress

# Jobs shown as cards (and updated live); the job list has the rest.
CARDS = 60
# How often ``batch.js`` asks.
POLL_MILLISECONDS = 2000
# Segments of the progress bar, left to right; the track shows what is still waiting.
BAR_SEGMENTS = ("succeeded", "failed", "canceled", "running")


def batch_cards(batch: TryOnBatch, *, related: bool = True) -> list[TryOnJob]:
    """The jobs a batch page shows as cards, in creation order."""
    jobs = TryOnJob.objects.filter(batch=batch).order_by("pk")
    if related:
        jobs = jobs.select_related("garment", "model_photo")
    return list(jobs[:CARDS])


def progress_bars(progress: BatchProgress) -> list[tuple[str, float, float]]:
    """(segment, x, width) in percent of the bar; ``batch.js`` computes the same."""
    bars, x = [], 0.0
    for key in BAR_SEGMENTS:
        width = 100 * getattr(progress, key) / progress.total if progress.total else 0.0
        bars.append((key, round(x, 3), round(width, 3)))
        x += width
    return bars


def card_state(job: TryOnJob, result_url: Callable[[TryOnJob], str]) -> dict[str, Any]:
    """One card as ``batch.js`` reads it; ``result_url`` is asked only for a finished one."""
    succeeded = job.status == Status.SUCCEEDED and bool(job.result)
    return {
        "id": job.pk,
        "status": job.status,
        "label": str(Status(job.status).label),
        "error": job.error_message if job.status == Status.FAILED else "",
        "result": result_url(job) if succeeded else "",
    }


def batch_status(batch: TryOnBatch, result_url: Callable[[TryOnJob], str]) -> dict[str, Any]:
    """The JSON document ``batch.js`` polls: progress, and the cards' states."""
    return {
        "batch": batch.pk,
        "progress": batch_progress(batch).as_dict(),
        "jobs": [card_state(job, result_url) for job in batch_cards(batch, related=False)],
    }
