"""Result counts for changelist columns, as correlated subqueries.

A subquery per row is evaluated for the rows of the page only, in the page's one query:
no query per row, and no aggregate over the whole job table.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast, Coalesce

from ..models import Source, Status, TryOnJob


def merchant_results() -> QuerySet[TryOnJob]:
    """Stored results made for the merchant (a shopper's try-ons are theirs alone)."""
    return TryOnJob.objects.filter(status=Status.SUCCEEDED).exclude(source=Source.SHOPPER)


def _count(jobs: QuerySet[TryOnJob], group: str) -> Coalesce:
    counted = jobs.order_by().values(group).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), 0)


def garment_result_count() -> Coalesce:
    return _count(merchant_results().filter(garment=OuterRef("pk")), "garment")


def model_photo_result_count() -> Coalesce:
    return _count(merchant_results().filter(model_photo=OuterRef("pk")), "model_photo")


def product_result_count(product_model: type[models.Model]) -> Coalesce:
    content_type = ContentType.objects.get_for_model(product_model)
    jobs = merchant_results().filter(
        garment__content_type=content_type,
        # Garment.object_id is text, whatever the type of the product's key.
        garment__object_id=Cast(OuterRef("pk"), output_field=models.CharField()),
    )
    return _count(jobs, "garment__content_type")
