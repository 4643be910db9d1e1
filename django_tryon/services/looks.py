"""'Complete the look': from a shopper's result, the same person in an outfit.

The shop decides which products are offered next to a product (the widget tag's
``outfit_with`` argument, else the adapter's ``outfit_products``); the shopper picks one
of another category and gets one new job wearing every garment so far plus that one,
made from the same photo under the consent already given (recorded on the new job).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.http import HttpRequest

from .. import signals
from ..adapters import get_adapter
from ..conf import tryon_settings
from ..errors import ErrorCode, ShopperError
from ..models import Garment, ShopperPhoto, Source, Status, TryOnJob
from .jobs import _request_tryon
from .outfits import MAX_OUTFIT_GARMENTS
from .shopper import (
    garment_for_shopper,
    get_shopper_job,
    rate_limited,
    refusals_announced,
    widget_garment,
)

#: The most products one widget offers to complete the look.
MAX_LOOKS = 8


@dataclass(frozen=True)
class Look:
    """A garment offered to complete the look, as the widget shows it."""

    garment: Garment
    name: str
    image_url: str
    product: Any = None  # the shop's product the garment is attached to (its own cart form)


def offered_products(
    product: models.Model, request: HttpRequest | None, offered: Iterable[Any] | None = None
) -> list[Any]:
    """The products offered next to ``product``: ``offered`` when given, else the adapter's."""
    chosen = offered if offered is not None else get_adapter().outfit_products(product, request)
    return list(chosen or [])[: MAX_LOOKS * 2]


def looks_for(
    product: models.Model,
    garment: Garment,
    request: HttpRequest | None = None,
    offered: Iterable[Any] | None = None,
) -> list[Look]:
    """Garments of other categories than ``garment`` the widget offers, at most ``MAX_LOOKS``."""
    adapter = get_adapter()
    looks: list[Look] = []
    for other in offered_products(product, request, offered):
        if other is None or other == product:
            continue
        candidate = widget_garment(other, request)
        if candidate is None or candidate.category == garment.category or not candidate.image:
            continue
        name = candidate.name or adapter.name(other)
        looks.append(Look(candidate, name, candidate.image.url, other))
        if len(looks) >= MAX_LOOKS:
            break
    return looks


def complete_look(request: HttpRequest, token: str, data: Mapping[str, Any]) -> TryOnJob:
    """A new job of this session: job ``token``'s garments and ``data["garment"]``, together.

    The job ``token`` must have succeeded. Its photo is used again, under its consent
    (a consent text changed since asks again: ``consent_changed``). Counted against the
    rate limits like any try-on; refused before anything is stored or spent.
    """
    with refusals_announced(request):
        base = get_shopper_job(request, token)
        if base.status != Status.SUCCEEDED or not base.result or not base.person_file:
            raise ShopperError(ErrorCode.OUTFIT_NOT_READY)
        if base.consent_version != str(tryon_settings.CONSENT_VERSION):
            raise ShopperError(ErrorCode.CONSENT_CHANGED)
        garment = garment_for_shopper(data.get("garment"), request)
        garments = [*base.outfit_garments(), garment]
        categories = [g.category for g in garments]
        if len(set(categories)) != len(categories) or len(garments) > MAX_OUTFIT_GARMENTS:
            raise ShopperError(ErrorCode.OUTFIT_CATEGORIES)
        with rate_limited(request, base.owner):
            # The visit's photo is worn again as it is (stored once); an older job's own
            # upload is read and stored with the new job.
            photo: ShopperPhoto | bytes
            if base.shopper_photo is not None:
                photo = base.shopper_photo
            else:
                with base.person_image.open("rb") as handle:
                    photo = handle.read()
            job = _request_tryon(
                garments[0],
                photo,
                extra_garments=garments[1:],
                provider=base.provider,
                source=Source.SHOPPER,
                owner=base.owner,
                consent_version=base.consent_version,
                check_quality=False,
                chain_from=base,
            )
    signals.shopper_job_requested.send(sender=TryOnJob, job=job, request=request)
    return job
