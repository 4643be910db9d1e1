"""Which merchant results appear on product pages (``{% tryon_gallery %}``), and in what order.

Positions count from 1 within each product's gallery. Only succeeded jobs made from the
merchant's own model photos can be featured: a shopper's try-on is private, always.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Max, Q, QuerySet
from django.utils import timezone

from ..models import Source, Status, TryOnJob

ProductKey = tuple[int, str]  # (content type id, object id) of a garment's product


@dataclass(frozen=True)
class FeatureOutcome:
    featured: int
    refused: int  # not succeeded, a shopper's own, or without a product


def featurable(jobs: QuerySet[TryOnJob]) -> QuerySet[TryOnJob]:
    """The jobs of ``jobs`` that may be shown on a product page."""
    return (
        jobs.filter(status=Status.SUCCEEDED, garment__isnull=False, model_photo__isnull=False)
        .exclude(source=Source.SHOPPER)
        .exclude(result="")
    )


def is_featurable(job: TryOnJob) -> bool:
    """``featurable()`` for one job already in memory."""
    return (
        job.status == Status.SUCCEEDED
        and job.garment_id is not None
        and job.model_photo_id is not None
        and job.source != Source.SHOPPER
        and bool(job.result)
    )


def feature_results(jobs: QuerySet[TryOnJob], *, position: int | None = None) -> FeatureOutcome:
    """Feature ``jobs`` on their products' pages.

    Without ``position`` each goes after the results already featured on its product
    (one already featured keeps its place). With it, they take ``position``,
    ``position + 1``... in each product's gallery, and the results from there on move down.
    """
    chosen = list(featurable(jobs).select_related("garment").order_by("pk"))
    refused = jobs.count() - len(chosen)
    if position is None:
        chosen = [job for job in chosen if not job.is_featured]
    by_product: dict[ProductKey, list[TryOnJob]] = defaultdict(list)
    for job in chosen:
        assert job.garment is not None  # featurable() has no garment-less jobs
        by_product[(job.garment.content_type_id, job.garment.object_id)].append(job)
    if not by_product:
        return FeatureOutcome(0, refused)

    now = timezone.now()
    with transaction.atomic():
        if position is None:
            starts = {key: last + 1 for key, last in _last_positions(by_product).items()}
        else:
            starts = dict.fromkeys(by_product, max(1, position))
            for key, group in by_product.items():  # make room (one query per product)
                _featured_on(key).filter(featured_order__gte=starts[key]).exclude(
                    pk__in=[job.pk for job in group]
                ).update(featured_order=F("featured_order") + len(group), updated_at=now)
        for key, group in by_product.items():
            for offset, job in enumerate(group):
                job.is_featured = True
                job.featured_order = starts.get(key, 1) + offset
                job.updated_at = now
        TryOnJob.objects.bulk_update(chosen, ["is_featured", "featured_order", "updated_at"])
    return FeatureOutcome(len(chosen), refused)


def unfeature_results(jobs: QuerySet[TryOnJob]) -> int:
    """Take ``jobs`` off their product pages. Returns how many were featured."""
    return jobs.filter(is_featured=True).update(
        is_featured=False, featured_order=0, updated_at=timezone.now()
    )


def _featured_on(key: ProductKey) -> QuerySet[TryOnJob]:
    content_type_id, object_id = key
    return TryOnJob.objects.filter(
        is_featured=True, garment__content_type_id=content_type_id, garment__object_id=object_id
    )


def _last_positions(keys: dict[ProductKey, list[TryOnJob]]) -> dict[ProductKey, int]:
    """The highest position featured on each product (0 when none), in one query."""
    products = Q()
    for content_type_id, object_id in keys:
        products |= Q(garment__content_type_id=content_type_id, garment__object_id=object_id)
    rows = (
        TryOnJob.objects.filter(products, is_featured=True)
        .values_list("garment__content_type_id", "garment__object_id")
        .annotate(last=Max("featured_order"))
        .order_by()
    )
    last = {(ct, oid): int(value or 0) for ct, oid, value in rows}
    return {key: last.get(key, 0) for key in keys}
