"""Made-up shoppers for the conversion report: the demo's month, the benchmark's load.

A shopper views one to three products at one moment; for each, ``Odds`` says how likely
they open the widget, get a result, add to cart and then order it. What is made is
unsaved: the caller chooses owners and times, and how to store the rows.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from ..models import EventKind, RecordedOrder, RecordedOrderLine, ShopperEvent
from ..services.conversions import expiry


@dataclass(frozen=True)
class Odds:
    """How likely a made-up shopper takes each step, for each product they view."""

    open: float  # opens the widget
    result: float  # ...and gets a result
    add_tried: float  # adds to cart, with a result of it
    add_untried: float  # adds to cart, without one
    order: float  # orders what they added


def made_up_shopper(
    rng: random.Random, products: Sequence[Any], odds: Odds, *, owner: str, when: datetime
) -> tuple[list[ShopperEvent], list[Any]]:
    """One shopper's events at ``when``, and the products they go on to order."""

    def event(kind: str, product: Any, credits: int = 0) -> ShopperEvent:
        return ShopperEvent(
            kind=kind,
            owner=owner,
            content_type=ContentType.objects.get_for_model(product),
            object_id=str(product.pk),
            credits=credits,
            day=timezone.localdate(when),
            created_at=when,
            expires_at=expiry(when),
        )

    events: list[ShopperEvent] = []
    bought = []
    for product in rng.sample(products, rng.randint(1, 3)):
        events.append(event(EventKind.VIEW, product))
        tried = False
        if rng.random() < odds.open:
            events.append(event(EventKind.OPEN, product))
            if rng.random() < odds.result:
                events.append(event(EventKind.RESULT, product, credits=1))
                tried = True
        if rng.random() < (odds.add_tried if tried else odds.add_untried):
            events.append(event(EventKind.ADD_TO_CART, product))
            if rng.random() < odds.order:
                bought.append(product)
    return events, bought


def made_up_order(
    owner: str,
    products: Sequence[Any],
    price: Callable[[Any], Decimal],
    *,
    created_at: datetime,
    reference: str = "",
) -> tuple[RecordedOrder, list[RecordedOrderLine]]:
    """An order of one of each product, and its lines (saved after it, they point at it)."""
    order = RecordedOrder(
        owner=owner,
        reference=reference,
        total=sum((price(p) for p in products), Decimal(0)),
        created_at=created_at,
        expires_at=expiry(created_at),
    )
    lines = [
        RecordedOrderLine(
            order=order,
            owner=owner,
            created_at=created_at,
            content_type=ContentType.objects.get_for_model(p),
            object_id=str(p.pk),
            quantity=1,
            unit_price=price(p),
            value=price(p),
        )
        for p in products
    ]
    return order, lines
