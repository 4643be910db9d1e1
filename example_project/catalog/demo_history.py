"""A made-up month of shoppers for the conversion report, so the demo's report isn't empty.

Every shopper's owner starts with ``DEMO_OWNER_PREFIX`` and every order's reference with
``DEMO-``: the report says how many of its shoppers are made up. Shoppers with a try-on
are made to buy a little more often than the others, as a shop would hope; the figures
are random (seeded, so every demo shows the same month).
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from catalog.models import Product
from django_tryon.models import RecordedOrderLine, ShopperEvent
from django_tryon.services.conversions import DEMO_OWNER_PREFIX
from django_tryon.testing.shoppers import Odds, made_up_order, made_up_shopper

SHOPPERS = 400
DAYS = 30
# Shoppers with a try-on buy a little more often than the others.
ODDS = Odds(open=0.45, result=0.7, add_tried=0.32, add_untried=0.18, order=0.55)


def has_history() -> bool:
    return ShopperEvent.objects.filter(owner__startswith=DEMO_OWNER_PREFIX).exists()


@transaction.atomic
def seed_history(shoppers: int = SHOPPERS, days: int = DAYS, seed: int = 14) -> int:
    """Create the demo history, unless there is one; returns how many shoppers it made."""
    products = list(Product.objects.published().order_by("pk"))
    if has_history() or not products:
        return 0
    rng = random.Random(seed)
    now = timezone.now()
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(now), time.min))
    # Minutes from the first day's midnight until now: the report's default 30 days.
    window = int((now - midnight).total_seconds() // 60) + (days - 1) * 24 * 60
    events: list[ShopperEvent] = []
    for n in range(shoppers):
        owner = f"{DEMO_OWNER_PREFIX}{n:05d}"
        when = now - timedelta(minutes=rng.randrange(window))
        made, bought = made_up_shopper(rng, products, ODDS, owner=owner, when=when)
        events.extend(made)
        if bought:
            order, lines = made_up_order(
                owner,
                bought,
                lambda p: p.price,
                created_at=min(now, when + timedelta(minutes=rng.randrange(5, 40))),
                reference=f"DEMO-{n:05d}",
            )
            order.save()
            RecordedOrderLine.objects.bulk_create(lines)
    ShopperEvent.objects.bulk_create(events, ignore_conflicts=True)
    return shoppers
