"""What the widget (or a headless shop) asks when it opens: the visit so far.

The visit's photo ("Use my photo") and the latest result of this product, so that a
reload shows the result again, with its actions: the result lists every garment it puts
on (``outfit``), each with the shop's add-to-cart for its product, as "Complete the look"
showed them live.
"""

from __future__ import annotations

from typing import IO, Any

from django.http import HttpRequest
from django.urls import reverse

from .. import carts, imaging
from ..adapters import get_adapter
from ..errors import ErrorCode, ShopperError
from ..lookups import parse_id
from ..models import ShopperPhoto, TryOnJob
from ..storage import get_private_storage
from . import owners, photos, shopper


def photo_payload(photo: ShopperPhoto) -> dict[str, Any]:
    """The visit's photo as the API shows it: its token, its image's URLs and its end."""
    return {
        "token": photo.token,
        "url": reverse("django_tryon:shopper-photo", args=[photo.token]),
        "thumbnail_url": reverse("django_tryon:shopper-photo-thumbnail", args=[photo.token]),
        "expires_at": photo.expires_at.isoformat(),
    }


def outfit_payload(job: TryOnJob, request: HttpRequest | None = None) -> list[dict[str, Any]]:
    """Every garment ``job``'s picture puts on, in order, with its product's add-to-cart.

    ``add_to_cart`` is the adapter's form as JSON (``carts.as_json``), or None where the
    shop has none or the product is not offered now. A few queries per garment (its
    product, and whatever the adapter asks), an outfit having one garment per category.
    """
    adapter = get_adapter()
    entries = []
    for garment in job.outfit_garments():
        product = garment.product
        offered = shopper.product_is_available(product, request)
        cart = adapter.add_to_cart_form(product, request) if offered else None
        entries.append(
            {
                "garment": garment.pk,
                "category": garment.category,
                "name": garment.name or (adapter.name(product) if product is not None else ""),
                "product": shopper.product_label(product) if product is not None else None,
                "add_to_cart": carts.as_json(cart) if cart is not None else None,
            }
        )
    return entries


def visit_payload(request: HttpRequest, garment: Any = None) -> dict[str, Any]:
    """``{"photo": ..., "result": ...}``: the visit's photo and this garment's latest result
    (its status document, with its ``outfit``).

    Either is None when there is none (a new visitor, an expired or deleted photo, a
    product no longer offered). Creates no session.
    """
    pk = parse_id(str(garment or "").strip())
    if garment not in (None, "") and pk is None:
        raise ShopperError(ErrorCode.BAD_REQUEST)
    owner = owners.get_owner(request)
    photo = photos.visit_photo(owner)
    job = photos.latest_result(owner, int(pk)) if pk and owner else None
    if job is not None:
        try:
            shopper.require_available(job, request)
        except ShopperError:
            job = None
    result = None
    if job is not None:
        result = {**shopper.status_payload(job), "outfit": outfit_payload(job, request)}
    return {"photo": photo_payload(photo) if photo is not None else None, "result": result}


def open_file(name: str) -> IO[bytes]:
    return get_private_storage().open(name, "rb")


def stored_thumbnail(photo: ShopperPhoto) -> str:
    """The name of the photo's stored thumbnail; "" for one stored before thumbnails were."""
    name = photo.thumbnail_name
    return name if name and get_private_storage().exists(name) else ""


def made_thumbnail(photo: ShopperPhoto) -> bytes:
    """A thumbnail made now from the photo itself, for a photo without a stored one."""
    with open_file(str(photo.image.name)) as handle:
        return imaging.thumbnail(handle)


def delete_visit_photo(request: HttpRequest, token: str) -> int:
    """Delete the session's photo and every result made from it. Returns how many jobs."""
    return photos.delete_photo(photos.get_visit_photo(request, token), request)
