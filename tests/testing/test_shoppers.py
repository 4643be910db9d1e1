"""Made-up shoppers: each one's events follow the widget's funnel, and the report adds up."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from django_tryon.models import EventKind, RecordedOrder, RecordedOrderLine, ShopperEvent
from django_tryon.services.conversion_report import conversion_report
from django_tryon.testing.conversions import (
    ShopperPlay,
    expected_report,
    funnel_figures,
    report_figures,
)
from django_tryon.testing.shoppers import Odds, made_up_order, made_up_shopper
from tests.shop.models import Product

pytestmark = pytest.mark.django_db

ALWAYS = Odds(open=1, result=1, add_tried=1, add_untried=1, order=1)
NEVER = Odds(open=0, result=0, add_tried=0, add_untried=0, order=0)


@pytest.fixture
def products():
    return Product.objects.bulk_create(Product(name=f"Product {i}") for i in range(5))


def price(product) -> Decimal:
    return Decimal(10 + product.pk)


def test_a_shopper_who_takes_every_step_views_tries_adds_and_orders_each_product(products):
    when = timezone.now() - timedelta(days=2)
    events, bought = made_up_shopper(random.Random(1), products, ALWAYS, owner="o", when=when)
    viewed = [e.object_id for e in events if e.kind == EventKind.VIEW]
    assert 1 <= len(viewed) <= 3
    steps = [EventKind.VIEW, EventKind.OPEN, EventKind.RESULT, EventKind.ADD_TO_CART]
    assert [e.kind for e in events] == steps * len(viewed)
    assert [str(p.pk) for p in bought] == viewed
    assert all(e.owner == "o" and e.created_at == when for e in events)
    assert all(e.day == timezone.localdate(when) and e.expires_at > when for e in events)
    assert [e.credits for e in events if e.kind == EventKind.RESULT] == [1] * len(viewed)


def test_a_shopper_who_takes_no_step_only_views(products):
    events, bought = made_up_shopper(
        random.Random(1), products, NEVER, owner="o", when=timezone.now()
    )
    assert {e.kind for e in events} == {EventKind.VIEW} and bought == []


def test_an_order_holds_one_of_each_product_at_its_price(products):
    order, lines = made_up_order("o", products[:2], price, created_at=timezone.now(), reference="R")
    order.save()
    RecordedOrderLine.objects.bulk_create(lines)  # saved after the order, they point at it
    saved = RecordedOrder.objects.get(reference="R")
    assert saved.total == price(products[0]) + price(products[1])
    assert sorted(saved.lines.values_list("value", flat=True)) == [price(p) for p in products[:2]]


def test_the_report_of_made_up_shoppers_is_the_one_worked_out_by_hand(products):
    rng = random.Random(7)
    odds = Odds(open=0.5, result=0.6, add_tried=0.4, add_untried=0.2, order=0.5)
    plays = []
    for n in range(40):
        owner, when = f"shopper-{n}", timezone.now() - timedelta(minutes=n)
        events, bought = made_up_shopper(rng, products, odds, owner=owner, when=when)
        ShopperEvent.objects.bulk_create(events)
        if bought:
            order, lines = made_up_order(owner, bought, price, created_at=when)
            order.save()
            RecordedOrderLine.objects.bulk_create(lines)
        plays.append(as_play(events, bought))

    expected = expected_report(plays)
    assert expected.total.ordered_with and expected.total.ordered_without  # both groups bought
    report = conversion_report(timezone.localdate() - timedelta(days=1), timezone.localdate())
    assert funnel_figures(report.total) == expected.total.as_dict()
    assert report_figures(report) == {k: e.as_dict() for k, e in expected.products.items()}


def as_play(events: list[ShopperEvent], bought: list[Product]) -> ShopperPlay:
    def keys(kind: str) -> set[str]:
        return {f"shop.product:{e.object_id}" for e in events if e.kind == kind}

    return ShopperPlay(
        viewed=keys(EventKind.VIEW),
        opened=keys(EventKind.OPEN),
        results=keys(EventKind.RESULT),
        added=keys(EventKind.ADD_TO_CART),
        ordered={f"shop.product:{p.pk}": price(p) for p in bought},
    )
