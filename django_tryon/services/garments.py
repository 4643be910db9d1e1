"""Adding a garment to a product, from an upload or from a picture the shop already holds.

A shop framework keeps product pictures of its own (django-oscar's ``ProductImage``); the
product adapter lists them, and the merchant picks one instead of uploading the same
file again. The picture is copied into the app's storage (checked by content like any
upload), so the garment keeps working when the shop replaces or deletes its picture.
"""

from __future__ import annotations

from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import models
from django.utils.translation import gettext as _

from ..adapters import ProductImage, get_adapter
from ..imaging import validate_image
from ..models import Category, Garment


def product_image(product: models.Model, key: str) -> ProductImage:
    """The product's picture ``key`` (as the adapter lists it), or ``ValidationError``."""
    for image in get_adapter().images(product):
        if image.key == str(key):
            return image
    raise ValidationError(_("This picture is not one of the product's."), code="unknown_image")


def implied_category(product: models.Model) -> str:
    """The category a new garment of ``product`` starts with: the adapter's, or upper body."""
    category = get_adapter().category(product)
    return category if category in Category.values else Category.UPPER_BODY


def add_garment(
    product: models.Model,
    *,
    category: str | None = None,
    name: str = "",
    upload: IO[bytes] | None = None,
    image_key: str | None = None,
    description: str = "",
) -> Garment:
    """A new active garment of ``product``, its image an upload or the product's picture."""
    if (upload is None) == (image_key is None):
        raise ValidationError(_("Choose one of the product's pictures, or upload one."))
    garment = Garment(
        product=product,
        category=category or implied_category(product),
        name=name,
        description=description,
    )
    if image_key is not None:
        picture = product_image(product, image_key)
        with picture.open() as handle:
            _store(garment, handle)
    else:
        assert upload is not None
        _store(garment, upload)
    garment.full_clean(exclude=["image"])
    garment.save()
    return garment


def _store(garment: Garment, handle: IO[bytes]) -> None:
    info = validate_image(handle)  # by content, with the app's limits
    handle.seek(0)
    garment.image.save(f"garment.{info.format.lower()}", File(handle), save=False)


def garment_sources(product: models.Model) -> dict[str, Any]:
    """What a "new garment" form offers for ``product``: its pictures and its category."""
    return {"images": get_adapter().images(product), "category": implied_category(product)}
