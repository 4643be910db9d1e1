"""The admin's conversion report with 100,000 events renders in as many queries as with 1,000.

Shoppers of 50 products over 30 days, as the widget reports them: every shopper views one
to three products, some open the widget, some of those get a result, some add to cart,
some order (recorded orders with their lines). The report page and its CSV export, as the
admin's superuser sees them, for the whole 30 days. Value: the queries of the page with
``--events`` events; baseline: the queries of the same page with ``--baseline-events``.
Both render times are printed and noted too (the figures are aggregated by the database:
the time grows with the rows, the number of queries must not).

    .venv/bin/python bench/conversion_report.py [--events 100000] [--baseline-events 1000]
"""

import argparse
import random
import sys
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

from common import report, setup_django

PRODUCTS = 50
PRICES = [Decimal(p) for p in ("19.00", "29.00", "59.00", "89.00", "129.00")]


def price(product: Any) -> Decimal:
    return PRICES[product.pk % len(PRICES)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--baseline-events", type=int, default=1_000)
    args = parser.parse_args()

    setup_django()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from django_tryon.models import Garment, RecordedOrder, RecordedOrderLine, ShopperEvent
    from django_tryon.services.conversion_report import conversion_report, default_period
    from django_tryon.testing.shoppers import Odds, made_up_order, made_up_shopper
    from tests.shop.models import Product

    User.objects.create_superuser("bench", password="bench")
    client = Client()
    client.force_login(User.objects.get(username="bench"))
    url = "/admin/django_tryon/conversionreport/"
    export = url + "export.csv"

    products = Product.objects.bulk_create(Product(name=f"Product {i}") for i in range(PRODUCTS))
    Garment.objects.bulk_create(
        Garment(
            product=p,
            name=p.name,
            category="upper_body",
            image=f"tryon/garments/g{p.pk}.jpg",
            image_width=400,
            image_height=400,
            image_digest="x",
        )
        for p in products
    )
    # Shoppers with a try-on add to cart twice as often as the others.
    odds = Odds(open=0.4, result=0.6, add_tried=0.3, add_untried=0.15, order=0.5)
    rng = random.Random(14)
    now = timezone.now()
    made = {"events": 0, "shoppers": 0, "orders": 0}

    def add_events(target: int) -> None:
        """Shoppers until there are ``target`` events in all."""
        events, orders, lines = [], [], []
        while made["events"] + len(events) < target:
            made["shoppers"] += 1
            owner = f"{made['shoppers']:064x}"
            when = now - timedelta(days=rng.randrange(30), minutes=rng.randrange(600))
            made_events, bought = made_up_shopper(rng, products, odds, owner=owner, when=when)
            events.extend(made_events)
            if bought:
                order, order_lines = made_up_order(owner, bought, price, created_at=when)
                orders.append(order)
                lines.extend(order_lines)
        ShopperEvent.objects.bulk_create(events, batch_size=2000)
        RecordedOrder.objects.bulk_create(orders, batch_size=2000)
        for line in lines:
            line.order_id = line.order.pk
        RecordedOrderLine.objects.bulk_create(lines, batch_size=2000)
        made["events"] += len(events)
        made["orders"] += len(orders)
        if connection.vendor == "postgresql":
            # What autovacuum does to a live table: without statistics of the bulk-loaded
            # rows, the planner takes 100,000 events for a handful (nested loops: minutes).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

    def render(path: str) -> tuple[int, float]:
        client.get(path)  # warm: templates, content types, the session
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(path)
            elapsed = time.perf_counter() - start
        assert response.status_code == 200, response.status_code
        return len(captured), elapsed

    add_events(args.baseline_events)
    base_events = made["events"]
    base_queries, base_time = render(url)
    base_csv_queries, _ = render(export)

    add_events(args.events)
    full_queries, full_time = render(url)
    full_csv_queries, full_csv_time = render(export)
    total = conversion_report(*default_period(30)).total

    print(
        f"{base_events} events: {base_queries} queries, {base_time * 1000:.0f} ms "
        f"(CSV {base_csv_queries} queries)"
    )
    print(
        f"{made['events']} events of {made['shoppers']} shoppers, {made['orders']} orders: "
        f"{full_queries} queries, {full_time * 1000:.0f} ms "
        f"(CSV {full_csv_queries} queries, {full_csv_time * 1000:.0f} ms)"
    )
    print(
        f"total: {total.shoppers} shoppers ({total.shoppers_with} with a try-on), "
        f"{total.ordered} ordered; conversion difference {total.conversion.difference}, "
        f"95 % interval {total.conversion.interval}"
    )
    note = (
        f"{made['events']} events ({made['shoppers']} shoppers, {made['orders']} orders, "
        f"{PRODUCTS} products, 30 days): page {full_time * 1000:.0f} ms, CSV "
        f"{full_csv_time * 1000:.0f} ms; {base_events} events: page {base_time * 1000:.0f} ms"
    )
    report(
        "conversion_report",
        full_queries,
        base_queries,
        f"queries, {made['events']} events vs {base_events}",
        note,
    )
    if full_queries != base_queries or full_csv_queries != base_csv_queries:
        sys.exit("target missed: the number of queries grew with the events")


if __name__ == "__main__":
    main()
