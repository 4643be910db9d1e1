"""Outfits for merchants: several garments worn together on each chosen model photo.

One job per model photo that suits every garment's category, each an outfit
(``request_outfit``): the admin's "Generate an outfit" and ``tryon_generate --outfit``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from ...errors import ErrorCode
from ...models import Garment, ModelPhoto, Source, TryOnBatch, TryOnJob
from ..jobs import _request_tryon
from ..outfits import check_outfit, outfit_calls, outfit_credits
from .plans import check_alias


@dataclass
class OutfitPlan:
    """What generating one outfit on model photos with one alias would do, and cost."""

    garments: list[Garment]
    alias: str
    name: str
    calls: int  # provider calls per picture
    credits_per_outfit: int
    model_photos: list[ModelPhoto] = field(default_factory=list)  # those suiting every garment
    unsuited: list[ModelPhoto] = field(default_factory=list)

    @property
    def credits(self) -> int:
        return self.credits_per_outfit * len(self.model_photos)


def outfit_model_photos(garments: Sequence[Garment]) -> QuerySet[ModelPhoto]:
    """Active model photos that suit the category of every one of ``garments``."""
    photos = ModelPhoto.objects.filter(is_active=True)
    for category in {g.category for g in garments}:
        photos = photos.suiting(category)
    return photos


def plan_outfit(
    garments: Sequence[Garment], model_photos: Iterable[ModelPhoto], alias: str | None = None
) -> OutfitPlan:
    """The outfit of ``garments`` on each of ``model_photos`` that suits them all.

    Refused with ``ValidationError`` when the alias is unknown or paused, or can't make
    this outfit (two garments of one category, a category it can't do...).
    """
    backend = check_alias(alias)
    garments = list(garments)
    check_outfit(backend, garments)
    plan = OutfitPlan(
        garments=garments,
        alias=backend.alias,
        name=backend.display_name,
        calls=outfit_calls(backend, len(garments)),
        credits_per_outfit=outfit_credits(backend, len(garments)),
    )
    for photo in model_photos:
        if not photo.is_active:
            continue
        suits = all(photo.suits(g.category) for g in garments)
        (plan.model_photos if suits else plan.unsuited).append(photo)
    return plan


def generate_outfits(
    plan: OutfitPlan,
    *,
    user: AbstractBaseUser | AnonymousUser | None = None,
    source: str = Source.ADMIN,
) -> TryOnBatch:
    """One outfit job per model photo of ``plan``, as one batch; all or nothing."""
    if not plan.model_photos:
        raise ValidationError(
            _("None of the chosen model photos suits every garment of the outfit."),
            code=ErrorCode.NOTHING_TO_GENERATE,
        )
    user_id = user.pk if user is not None and user.is_authenticated else None
    with transaction.atomic():  # a refusal (e.g. the budget) on any photo keeps nothing
        batch = TryOnBatch.objects.create(created_by_id=user_id, provider=plan.alias)
        jobs = [
            _request_tryon(
                plan.garments[0],
                photo,
                extra_garments=plan.garments[1:],
                provider=plan.alias,
                source=source,
            )
            for photo in plan.model_photos
        ]
        TryOnJob.objects.filter(pk__in=[job.pk for job in jobs]).update(batch=batch)
    return batch
