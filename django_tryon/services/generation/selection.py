"""What a merchant's selection means: the garments behind products, the photos that suit them.

Refusals are ``ValidationError`` in plain words, with a code, raised before anything is
planned: no garment, no suitable model photo, unknown ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ...adapters import get_adapter
from ...errors import ErrorCode
from ...models import Category, Garment, ModelPhoto, ModelPhotoQuerySet


@dataclass(frozen=True)
class GarmentSelection:
    """The active garments behind a selection of products (any model) or of garments."""

    garments: list[Garment]
    products: int = 0  # products selected; 0 when garments were selected directly
    products_without_garments: int = 0
    inactive_garments: int = 0
    orphaned_garments: int = 0  # selected garments whose product no longer exists

    @property
    def categories(self) -> list[str]:
        present = {garment.category for garment in self.garments}
        return [category for category in Category.values if category in present]


def select_garments(queryset: QuerySet[Any]) -> GarmentSelection:
    """The garments to generate for: ``queryset`` holds garments, or the shop's products.

    A selected variant without a garment of its own stands for its parent's garments
    (as on its product page); a garment whose product is gone is never offered.
    """
    if queryset.model is Garment:
        garments = list(queryset.order_by("pk"))
        active = [garment for garment in garments if garment.is_active]
        kept = with_products(active)
        return GarmentSelection(
            kept,
            inactive_garments=len(garments) - len(active),
            orphaned_garments=len(active) - len(kept),
        )

    content_type = ContentType.objects.get_for_model(queryset.model)
    # A subquery, not a list of ids: the same queries for ten products or ten thousand.
    # Garment.object_id is text (any product key type), hence the cast.
    product_keys = (
        queryset.order_by()
        .annotate(_tryon_key=Cast("pk", output_field=models.CharField()))
        .values("_tryon_key")
    )
    of_product = Garment.objects.active().filter(content_type=content_type)
    garments = list(of_product.filter(object_id__in=product_keys).order_by("pk"))
    covered = {garment.object_id for garment in garments}
    products = queryset.count()
    if len(covered) < products:
        parents = {
            variant: parent
            for variant, parent in get_adapter().parent_keys(queryset).items()
            if variant not in covered
        }
        if parents:
            inherited = of_product.filter(object_id__in=set(parents.values())).order_by("pk")
            seen = {garment.pk for garment in garments}
            garments += [garment for garment in inherited if garment.pk not in seen]
            parent_keys = {garment.object_id for garment in inherited}
            covered |= {variant for variant, parent in parents.items() if parent in parent_keys}
    return GarmentSelection(
        garments, products=products, products_without_garments=products - len(covered)
    )


def with_products(garments: list[Garment]) -> list[Garment]:
    """``garments`` without those whose product is gone: one query per product model."""
    by_type: dict[int, list[Garment]] = {}
    for garment in garments:
        by_type.setdefault(garment.content_type_id, []).append(garment)
    alive: set[tuple[int, str]] = set()
    for type_id, group in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        keys = set()
        for garment in group:
            try:
                keys.add(model._meta.pk.to_python(garment.object_id))
            except ValidationError:
                continue
        found = model._base_manager.filter(pk__in=keys).values_list("pk", flat=True)
        alive |= {(type_id, str(pk)) for pk in found}
    return [g for g in garments if (g.content_type_id, g.object_id) in alive]


def suitable_model_photos(categories: Iterable[str]) -> ModelPhotoQuerySet:
    """Active model photos that suit at least one of ``categories``."""
    suits = Q()
    for category in set(categories):
        suits |= Q(categories__contains=category)
    if not suits:
        return ModelPhoto.objects.none()
    return ModelPhoto.objects.filter(suits, is_active=True)


def check_selection(selection: GarmentSelection, model_photos: ModelPhotoQuerySet) -> None:
    """Refuse, in plain words, a selection that can't produce a single try-on."""
    if not selection.garments:
        if selection.products:
            raise ValidationError(
                ngettext(
                    "The selected product has no active garment. Add a garment image to it first.",
                    "None of the %(count)d selected products has an active garment. Add "
                    "garment images to them first.",
                    selection.products,
                )
                % {"count": selection.products},
                code=ErrorCode.NO_GARMENTS,
            )
        raise ValidationError(_("No active garment is selected."), code=ErrorCode.NO_GARMENTS)
    if not model_photos.exists():
        labels = ", ".join(str(Category(c).label).lower() for c in selection.categories)
        raise ValidationError(
            _(
                "No active model photo suits these garments (%(categories)s). Upload a model "
                "photo for them, or mark an existing one as suiting these categories."
            ),
            code=ErrorCode.NO_MODEL_PHOTOS,
            params={"categories": labels},
        )


def products_by_ids(ids: Sequence[str], *, model: str | None = None) -> QuerySet[Any]:
    """The products with these primary keys, of ``model`` ("app_label.ModelName").

    Without ``model``, the one product model garments are attached to; several such
    models (or none) make it ambiguous, which is refused. So are unknown ids.
    """
    product_model: type[models.Model]
    if model:
        try:
            product_model = apps.get_model(model)
        except (LookupError, ValueError):
            raise ValidationError(
                _("Unknown product model %(model)r: use app_label.ModelName."),
                code=ErrorCode.UNKNOWN_MODEL,
                params={"model": model},
            ) from None
    else:
        types = list(Garment.objects.order_by().values_list("content_type", flat=True).distinct())
        if len(types) != 1:
            raise ValidationError(
                _("Garments belong to %(count)d product models: name one (app_label.ModelName).")
                if types
                else _("No product has a garment yet."),
                code=ErrorCode.AMBIGUOUS_MODEL,
                params={"count": len(types)},
            )
        found_model = ContentType.objects.get_for_id(types[0]).model_class()
        if found_model is None:  # a content type whose model is gone
            raise ValidationError(
                _("No product has a garment yet."), code=ErrorCode.AMBIGUOUS_MODEL
            )
        product_model = found_model
    queryset = product_model._default_manager.filter(pk__in=list(ids))
    found = {str(pk) for pk in queryset.values_list("pk", flat=True)}
    missing = [str(pk) for pk in ids if str(pk) not in found]
    if missing:
        raise ValidationError(
            _("No %(model)s with id %(ids)s."),
            code=ErrorCode.UNKNOWN_PRODUCT,
            params={"model": product_model._meta.verbose_name, "ids": ", ".join(missing)},
        )
    return queryset


def garments_by_ids(ids: Sequence[int]) -> QuerySet[Garment]:
    garments = Garment.objects.filter(pk__in=list(ids))
    missing = sorted(set(ids) - set(garments.values_list("pk", flat=True)))
    if missing:
        raise ValidationError(
            _("No garment with id %(ids)s."),
            code=ErrorCode.UNKNOWN_GARMENT,
            params={"ids": ", ".join(map(str, missing))},
        )
    return garments


def model_photos_by_ids(ids: Sequence[int]) -> ModelPhotoQuerySet:
    """Active model photos with these ids; unknown or inactive ones are refused by id."""
    photos = ModelPhoto.objects.filter(pk__in=list(ids))
    state = dict(photos.values_list("pk", "is_active"))
    missing = sorted(set(ids) - set(state))
    inactive = sorted(pk for pk, active in state.items() if not active)
    if missing or inactive:
        problems = []
        if missing:
            problems.append(str(_("no model photo with id %s")) % ", ".join(map(str, missing)))
        if inactive:
            problems.append(str(_("model photo %s is inactive")) % ", ".join(map(str, inactive)))
        raise ValidationError(
            "; ".join(problems).capitalize() + ".", code=ErrorCode.BAD_MODEL_PHOTOS
        )
    return photos
