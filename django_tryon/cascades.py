"""A deleted product takes its garments with it, whatever its model.

Garments point at products through a generic relation, which the database doesn't
cascade, and the shop's models are not ours to give a ``GenericRelation``. So a
``post_delete`` receiver is connected for each product model: the adapter's
``product_models()``, every model whose admin has try-on added, and every model a garment
is saved for in this process. Deleting the garments deletes their jobs (a foreign key)
and, through ``receivers``, every stored file of both.

A receiver per product model, never one for every model: a receiver makes Django load
the rows of a queryset ``delete()`` instead of deleting them in one statement, a cost
only product models should pay.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.signals import post_delete

from .models import ACTIVE_STATUSES, Garment, TryOnJob


def delete_product_garments(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    if instance.pk is None:
        return
    from .services.jobs import cancel_job  # services import this module's app: import late

    content_type = ContentType.objects.get_for_model(sender)
    garments = Garment.objects.filter(content_type=content_type, object_id=str(instance.pk))
    # Active jobs are canceled first: that settles their share of the day's budget (and
    # stops them at the provider where it can), which a plain cascade would skip.
    for job in TryOnJob.objects.filter(garment__in=garments, status__in=ACTIVE_STATUSES):
        cancel_job(job)
    garments.delete()


def watch_product_model(model: type[models.Model]) -> None:
    """Delete a product's garments with it, for products of ``model`` (idempotent)."""
    if model is Garment or model._meta.app_label in ("django_tryon", "contenttypes"):
        return
    post_delete.connect(
        delete_product_garments,
        sender=model,
        dispatch_uid=f"tryon-cascade-{model._meta.label_lower}",
        weak=False,
    )


def watch_adapter_models() -> None:
    from .adapters import get_adapter

    for model in get_adapter().product_models():
        watch_product_model(model)


def watch_garment_product(instance: Garment, **kwargs: Any) -> None:
    model = instance.content_type.model_class() if instance.content_type_id else None
    if model is not None:
        watch_product_model(model)
