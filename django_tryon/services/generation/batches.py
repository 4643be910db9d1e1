"""Batches: creating one from a plan, following it, and fetching its results.

A batch is created with one ``bulk_create`` of due jobs and the one wake-up all new work
has (``pipeline.start``): a drain once the transaction commits, whatever the batch's size.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.text import slugify

from ... import budget, pipeline
from ...conf import tryon_settings
from ...errors import ErrorCode
from ...models import (
    ACTIVE_STATUSES,
    Garment,
    ModelPhoto,
    Source,
    Status,
    TryOnBatch,
    TryOnJob,
)
from .plans import AliasPlan, GenerationPlan, nothing_to_generate, paused_error, plan_generation


def create_batch(
    plan: GenerationPlan,
    alias: str | None = None,
    *,
    user: AbstractBaseUser | AnonymousUser | None = None,
    source: str = Source.ADMIN,
) -> TryOnBatch:
    """Create the new jobs of ``plan`` for ``alias`` as one batch, and wake the pipeline.

    Refused with ``ValidationError`` (nothing created): an unknown or paused alias, a plan
    with nothing new in it, or a cost over today's budget.
    """
    chosen = plan.alias(alias)
    if chosen.paused_reason is not None:
        raise paused_error(chosen.name, chosen.alias, chosen.paused_reason)
    if not chosen.jobs:
        raise ValidationError(nothing_to_generate(plan, chosen), code=ErrorCode.NOTHING_TO_GENERATE)
    now = timezone.now()
    with transaction.atomic():
        # Taken in the same transaction as the jobs: refused or failed, nothing is kept.
        budget.reserve(chosen.credits, source=source, at=now)
        # By id: any AUTH_USER_MODEL, and nobody (a command) or an anonymous user alike.
        user_id = user.pk if user is not None and user.is_authenticated else None
        batch = TryOnBatch.objects.create(created_by_id=user_id, provider=chosen.alias)
        TryOnJob.objects.bulk_create(
            TryOnJob(
                garment=job.garment,
                model_photo=job.model_photo,
                category=job.garment.category,
                fingerprint=job.fingerprint,
                provider=chosen.alias,
                source=source,
                batch=batch,
                estimated_credits=chosen.credits_per_job,
                created_at=now,
                next_check_at=now,  # due at once: drains take them, oldest first
            )
            for job in chosen.jobs
        )
        pipeline.start()  # one drain message for the whole batch, as for a single job
    return batch


def generate(
    garments: Sequence[Garment],
    model_photos: Iterable[ModelPhoto],
    alias: str | None = None,
    *,
    user: AbstractBaseUser | AnonymousUser | None = None,
    source: str = Source.API,
) -> tuple[TryOnBatch, AliasPlan]:
    """Plan and create in one call, for code that needs no confirmation step."""
    key = alias or tryon_settings.DEFAULT_PROVIDER
    plan = plan_generation(garments, model_photos, aliases=[key])
    return create_batch(plan, key, user=user, source=source), plan.alias(key)


@dataclass(frozen=True)
class BatchProgress:
    total: int = 0
    pending: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    canceled: int = 0
    retried: int = 0  # failed or canceled, then retried: the retry counts instead
    credits: int = 0  # charged so far
    expected_credits: int = 0  # still to be charged: active jobs not charged yet (estimate)

    @property
    def active(self) -> int:
        return self.pending + self.running

    @property
    def finished(self) -> bool:
        return self.active == 0

    @property
    def done(self) -> int:
        return self.total - self.active

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)

    def as_dict(self) -> dict[str, int | bool]:
        return {
            "total": self.total,
            "pending": self.pending,
            "running": self.running,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "canceled": self.canceled,
            "retried": self.retried,
            "done": self.done,
            "percent": self.percent,
            "credits": self.credits,
            "expected_credits": self.expected_credits,
            "finished": self.finished,
        }


def batch_progress(batch: TryOnBatch | int) -> BatchProgress:
    """Where a batch stands, in one query."""
    superseded = Q(Exists(TryOnJob.objects.filter(retry_of=OuterRef("pk"))))
    ended = Q(status__in=(Status.FAILED, Status.CANCELED))
    totals = TryOnJob.objects.filter(batch=batch).aggregate(
        total=Count("pk"),
        pending=Count("pk", filter=Q(status=Status.PENDING)),
        running=Count("pk", filter=Q(status=Status.RUNNING)),
        succeeded=Count("pk", filter=Q(status=Status.SUCCEEDED)),
        failed=Count("pk", filter=Q(status=Status.FAILED) & ~superseded),
        canceled=Count("pk", filter=Q(status=Status.CANCELED) & ~superseded),
        retried=Count("pk", filter=ended & superseded),
        credits=Sum("credits_charged"),
        # A running job was charged when the provider accepted it: its estimate is spent.
        expected_credits=Sum(
            "estimated_credits", filter=Q(status__in=ACTIVE_STATUSES, credits_charged=0)
        ),
    )
    return BatchProgress(**{name: int(value or 0) for name, value in totals.items()})


def wait_for_batch(
    batch: TryOnBatch,
    *,
    timeout: float | None = None,
    interval: float = 1.0,
    on_progress: Callable[[BatchProgress], None] | None = None,
) -> BatchProgress:
    """Block until no job of ``batch`` is active, or ``timeout`` seconds pass; the last progress."""
    stop_at = None if timeout is None else time.monotonic() + timeout
    while True:
        progress = batch_progress(batch)
        if on_progress is not None:
            on_progress(progress)
        if progress.finished or (stop_at is not None and time.monotonic() >= stop_at):
            return progress
        time.sleep(interval)


def batch_results(batch: TryOnBatch, *, also: Iterable[int] = ()) -> QuerySet[TryOnJob]:
    """The batch's stored results, plus those of jobs ``also`` (e.g. the identical ones skipped)."""
    return (
        TryOnJob.objects.filter(Q(batch=batch) | Q(pk__in=list(also)), status=Status.SUCCEEDED)
        .exclude(result="")
        .select_related("garment", "model_photo")
        .order_by("pk")
    )


def download_results(jobs: Iterable[TryOnJob], directory: Path | str) -> list[Path]:
    """Copy each job's result into ``directory``, streamed, as ``<job>-<garment>-<model>.<ext>``."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for job in jobs:
        if not job.result:
            continue
        extension = Path(job.result.name or "").suffix or ".jpg"
        garment = slugify(str(job.garment)) if job.garment else "garment"
        person = slugify(str(job.model_photo)) if job.model_photo else "person"
        target = folder / f"{job.pk}-{garment}-{person}{extension}"
        with job.result.open("rb") as source, target.open("wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
        written.append(target)
    return written
