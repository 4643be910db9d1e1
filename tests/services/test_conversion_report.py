"""The conversion report: its figures equal those counted by hand, in a fixed number of queries."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_tryon.models import Garment, ShopperEvent
from django_tryon.services import conversion_report, record_order
from django_tryon.services.conversion_report import csv_rows
from django_tryon.testing.conversions import (
    expected_report,
    funnel_figures,
    report_figures,
)
from tests.fixtures import create_garment
from tests.shop.models import Product

from .conversion_support import play, result_job, send, shopper_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def products(db):
    items = [Product.objects.create(name=f"Product {i}") for i in range(3)]
    for product in items:
        create_garment(product, name=product.name)
    return items


def test_the_figures_are_those_counted_from_what_the_shoppers_did(products):
    rng = random.Random(14)
    plays = [play(products, rng) for _ in range(60)]
    expected = expected_report(plays)
    today = timezone.localdate()
    report = conversion_report(today, today)

    assert funnel_figures(report.total) == expected.total.as_dict()
    assert report_figures(report) == {k: e.as_dict() for k, e in expected.products.items()}
    assert report.total.results == sum(len(p.results) for p in plays)
    assert report.total.credits == 2 * report.total.results
    converting = sum(len(p.results & set(p.ordered)) for p in plays)
    assert report.total.converting_results == converting
    assert report.total.credits_per_converting_result == (
        Decimal(report.total.credits) / converting
    ).quantize(Decimal("0.01"))
    assert report.shoppers_per_day.values["with_tryon"][-1] == expected.total.shoppers_with


def test_the_difference_has_an_interval_only_above_the_minimum_sample(products):
    shirt = products[0]
    # 3 shoppers with a try-on (2 buy), 3 without (none buys): too few to say.
    for buys, tries in ((True, True), (True, True), (False, True), (False, False)) + (
        (False, False),
    ) * 2:
        request = shopper_request()
        send(request, ("view", shirt, None))
        if tries:
            job = result_job(request, Garment.objects.for_product(shirt).get())
            send(request, ("result", shirt, job))
        if buys:
            record_order(request, [(shirt, 1, Decimal("10"))])
    today = timezone.localdate()
    total = conversion_report(today, today).total
    assert total.conversion.difference == pytest.approx(2 / 3)
    assert total.conversion.interval is None  # "not enough data"
    assert csv_rows(conversion_report(today, today)).__next__()[0] == "product"


def test_an_order_before_the_period_or_of_an_unseen_session_does_not_count(products):
    shirt = products[0]
    request = shopper_request()
    send(request, ("view", shirt, None))
    order = record_order(request, [(shirt, 1, Decimal("59.00"))])
    order.created_at = timezone.now() - timedelta(days=3)
    order.save()
    order.lines.update(created_at=order.created_at)  # a line keeps its order's time
    record_order(shopper_request(), [(shirt, 1, Decimal("59.00"))])  # never saw the widget
    today = timezone.localdate()
    report = conversion_report(today, today)
    assert (report.total.shoppers, report.total.ordered) == (1, 0)
    assert report.unattributed_orders == 1
    assert report.orders_per_day.values["unseen"][-1] == 1


def test_the_report_makes_as_many_queries_for_many_rows_as_for_few(products):
    today = timezone.localdate()

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            report = conversion_report(today - timedelta(days=29), today)
            list(csv_rows(report))
        return len(captured)

    rng = random.Random(1)
    play(products, rng)
    few = count()
    for _ in range(40):
        play(products, rng)
    assert ShopperEvent.objects.count() > 40
    assert count() == few <= 10
