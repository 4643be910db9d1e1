"""Helpers of the admin tests: a small catalogue, query counting, paused aliases."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from catalog.models import Product
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_tryon.models import Garment, ModelPhoto, ProviderState, TryOnJob
from tests.fixtures import make_image

# Distinct colours make distinct images, hence distinct fingerprints.
COLOURS = [
    (200, 40, 40),
    (40, 160, 60),
    (40, 60, 200),
    (200, 160, 40),
    (120, 40, 160),
    (40, 160, 160),
]


def colour_of(index: int) -> tuple[int, int, int]:
    """A colour per index: the named ones first, then distinct derived ones."""
    if index < len(COLOURS):
        return COLOURS[index]
    return (index * 37 % 256, index * 91 % 256, index * 53 % 256)


TWO_PROVIDERS = {
    "DEFAULT_PROVIDER": "sandbox",
    "PROVIDERS": {
        "sandbox": {"BACKEND": "django_tryon.providers.sandbox.SandboxProvider", "LATENCY": 0},
        "premium": {
            "BACKEND": "django_tryon.providers.sandbox.SandboxProvider",
            "LATENCY": 0,
            "COST": 25,
        },
    },
    "POLL_INTERVAL": 0.2,
}


def add_product(name: str, *, category: str | None = "upper_body", colour: int = 0) -> Product:
    product = Product.objects.create(
        name=name, slug=name.lower().replace(" ", "-"), price=Decimal("10.00")
    )
    if category:
        add_garment(product, category=category, colour=colour)
    return product


def add_garment(
    product: Any, *, category: str = "upper_body", colour: int = 0, **fields: Any
) -> Garment:
    garment = Garment(
        product=product, name=fields.pop("name", f"{product} garment"), category=category, **fields
    )
    image = make_image((200, 200), "PNG", colour_of(colour), person=False)
    garment.image.save("garment.png", ContentFile(image), save=False)
    garment.save()
    return garment


def add_photo(
    name: str,
    categories: str = "upper_body,lower_body,full_body",
    *,
    colour: int = 0,
    **fields: Any,
) -> ModelPhoto:
    photo = ModelPhoto(name=name, categories=categories, **fields)
    photo.image.save(
        "photo.jpg", ContentFile(make_image((320, 400), color=colour_of(colour))), save=False
    )
    photo.save()
    return photo


def queries(callable_: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured)


def pause(alias: str, reason: str = "The try-on account has run out of credits.") -> None:
    from django.utils import timezone

    ProviderState.objects.update_or_create(
        alias=alias,
        defaults={
            "paused_at": timezone.now(),
            "pause_code": "insufficient_credits",
            "pause_reason": reason,
        },
    )


def jobs() -> list[TryOnJob]:
    return list(TryOnJob.objects.order_by("pk"))
