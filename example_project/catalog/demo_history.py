"""A made-up month of shoppers for the conversion report, so the demo's report isn't empty.

Every shopper's owner starts with ``DEMO_OWNER_PREFIX`` and every order's reference with
``DEMO-``: the report says how many of its shoppers are made up. Shoppers with a try-on
are made to buy a little more often than the others, as a shop would hope; the figures
are random (seeded, so every demo shows the same month).
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from catalog.models import Product
from django_tryon.models import EventKind, RecordedOrder, RecordedOrderLine, ShopperEvent
from django_tryon.services.conversions import DEMO_OWNER_PREFIX, expiry

SHOPPERS = 400
DAYS = 30


def has_history() -> bool:
    return ShopperEvent.objects.filter(owner__startswith=DEMO_OWNER_PREFIX).exists()


@transaction.atomic
def seed_history(shoppers: int = SHOPPERS, days: int = DAYS, seed: int = 14) -> int:
    """Create the demo history, unless there is one; returns how many shoppers it made."""
    products = list(Product.objects.published().order_by("pk"))
    if has_history() or not products:
        return 0
    rng = random.Random(seed)
    content_type = ContentType.objects.get_for_model(Product)
    now = timezone.now()
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(now), time.min))
    # Minutes from the first day's midnight until now: the report's default 30 days.
    window = int((now - midnight).total_seconds() // 60) + (days - 1) * 24 * 60
    events: list[ShopperEvent] = []
    for n in range(shoppers):
        owner = f"{DEMO_OWNER_PREFIX}{n:05d}"
        when = now - timedelta(minutes=rng.randrange(window))

        def event(
            kind: str,
            product: Product,
            credits: int = 0,
            owner: str = owner,
            when: datetime = when,
        ) -> ShopperEvent:
            return ShopperEvent(
                kind=kind,
                owner=owner,
                content_type=content_type,
                object_id=str(product.pk),
                credits=credits,
                day=timezone.localdate(when),
                created_at=when,
                expires_at=expiry(when),
            )

        bought = []
        for product in rng.sample(products, rng.randint(1, 3)):
            events.append(event(EventKind.VIEW, product))
            tried = False
            if rng.random() < 0.45:
                events.append(event(EventKind.OPEN, product))
                if rng.random() < 0.7:
                    events.append(event(EventKind.RESULT, product, credits=1))
                    tried = True
            if rng.random() < (0.32 if tried else 0.18):
                events.append(event(EventKind.ADD_TO_CART, product))
                if rng.random() < 0.55:
                    bought.append(product)
        if bought:
            order = RecordedOrder.objects.create(
                owner=owner,
                reference=f"DEMO-{n:05d}",
                total=sum((p.price for p in bought), Decimal(0)),
                created_at=min(now, when + timedelta(minutes=rng.randrange(5, 40))),
                expires_at=expiry(when),
            )
            RecordedOrderLine.objects.bulk_create(
                RecordedOrderLine(
                    order=order,
                    owner=owner,
                    created_at=order.created_at,
                    content_type=content_type,
                    object_id=str(p.pk),
                    quantity=1,
                    unit_price=p.price,
                    value=p.price,
                )
                for p in bought
            )
    ShopperEvent.objects.bulk_create(events, ignore_conflicts=True)
    return shoppers
