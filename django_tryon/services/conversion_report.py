"""The conversion report: does try-on sell?

For a period (calendar days in the current time zone, both ends included), per product and
in total, among the shoppers who *viewed* a try-on product (the widget's ``view`` event):

- how many opened the widget, got a result, added to cart, and ordered, and the value of
  what they ordered;
- split into shoppers *with* a try-on (a result of that product; in the total, of any
  product) and *without*;
- the difference of the two groups' conversion rates (ordered / shoppers) and add-to-cart
  rates, with Newcombe's 95 % interval (``intervals``), or "not enough data" below
  ``intervals.MIN_SAMPLE`` shoppers in either group;
- the credits results cost, per result that led to an order (the same shopper ordered the
  product afterwards, within the period).

An order counts for a product when it holds the product and was placed within the period
by a shopper who viewed it within the period. Everything is counted by the database (one
aggregate query per figure family, whatever the number of rows): ``conversion_report``
makes a fixed number of queries, plus one per product model to name the products.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from ..adapters import get_adapter
from ..models import EventKind, RecordedOrder, RecordedOrderLine, ShopperEvent
from .activity import DailySeries
from .conversions import DEMO_OWNER_PREFIX
from .intervals import MIN_SAMPLE, Difference, newcombe

ZERO = Decimal("0.00")
WITH, WITHOUT, UNSEEN = "with_tryon", "without_tryon", "unseen"


@dataclass
class Funnel:
    """One row of the report: a product's figures, or the total's."""

    shoppers_with: int = 0
    shoppers_without: int = 0
    opened: int = 0
    added_with: int = 0
    added_without: int = 0
    ordered_with: int = 0
    ordered_without: int = 0
    value_with: Decimal = ZERO
    value_without: Decimal = ZERO
    results: int = 0  # result events (one per job)
    converting_results: int = 0  # ...whose shopper then ordered the product
    credits: int = 0  # what those results cost

    @property
    def shoppers(self) -> int:
        return self.shoppers_with + self.shoppers_without

    @property
    def added(self) -> int:
        return self.added_with + self.added_without

    @property
    def ordered(self) -> int:
        return self.ordered_with + self.ordered_without

    @property
    def value(self) -> Decimal:
        return self.value_with + self.value_without

    @property
    def conversion(self) -> Difference:
        """Ordered / shoppers, with a try-on minus without, and its interval."""
        return newcombe(
            self.ordered_with, self.shoppers_with, self.ordered_without, self.shoppers_without
        )

    @property
    def add_to_cart(self) -> Difference:
        return newcombe(
            self.added_with, self.shoppers_with, self.added_without, self.shoppers_without
        )

    @property
    def value_per_shopper_with(self) -> Decimal | None:
        return _per(self.value_with, self.shoppers_with)

    @property
    def value_per_shopper_without(self) -> Decimal | None:
        return _per(self.value_without, self.shoppers_without)

    @property
    def credits_per_converting_result(self) -> Decimal | None:
        """Credits spent on results, per result that led to an order (None: none did)."""
        return _per(Decimal(self.credits), self.converting_results)


def _money(value: Decimal | None) -> Decimal:
    # SQLite sums decimals as numbers: 118 for 2 x 59.00.
    return Decimal(value or 0).quantize(ZERO)


def _per(amount: Decimal, count: int) -> Decimal | None:
    return (amount / count).quantize(Decimal("0.01")) if count else None


@dataclass
class ProductRow:
    content_type_id: int
    object_id: str
    name: str
    url: str
    funnel: Funnel


@dataclass
class Report:
    start: date
    end: date
    products: list[ProductRow]
    total: Funnel
    shoppers_per_day: DailySeries
    orders_per_day: DailySeries
    min_sample: int = MIN_SAMPLE
    unattributed_orders: int = 0  # orders of sessions the widget never saw
    demo_shoppers: int = 0  # made-up shoppers of a demo history (``DEMO_OWNER_PREFIX``)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not self.total.shoppers and not self.unattributed_orders


def period(start: date, end: date) -> tuple[datetime, datetime]:
    """The aware datetimes [start 00:00, the day after end 00:00) in the current zone."""
    begin = timezone.make_aware(datetime.combine(start, time.min))
    stop = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))
    return begin, stop


def default_period(days: int = 30, today: date | None = None) -> tuple[date, date]:
    end = today or timezone.localdate()
    return end - timedelta(days=days - 1), end


def conversion_report(start: date, end: date) -> Report:
    """The report for the days ``start`` to ``end``, both included."""
    if end < start:
        start, end = end, start
    begin, stop = period(start, end)
    q = _Queries(begin, stop)
    funnels: dict[tuple[int, str], Funnel] = {}

    def funnel(row: dict[str, Any]) -> Funnel:
        return funnels.setdefault((row["content_type"], row["object_id"]), Funnel())

    for row in q.per_product_shoppers():
        f = funnel(row)
        for name in (
            "shoppers_with",
            "shoppers_without",
            "opened",
            "added_with",
            "added_without",
            "ordered_with",
            "ordered_without",
        ):
            setattr(f, name, row[name])
    for row in q.per_product_values():
        f = funnel(row)
        f.value_with, f.value_without = _money(row["value_with"]), _money(row["value_without"])
    for row in q.per_product_results():
        f = funnel(row)
        f.results, f.converting_results = row["results"], row["converting"]
        f.credits = row["credits"] or 0

    total = Funnel(**q.total_shoppers())
    values = q.total_values()
    total.value_with, total.value_without = (
        _money(values["value_with"]),
        _money(values["value_without"]),
    )
    for f in funnels.values():
        total.results += f.results
        total.converting_results += f.converting_results
        total.credits += f.credits

    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return Report(
        start=start,
        end=end,
        products=_named_rows(funnels),
        total=total,
        shoppers_per_day=_series(q.shoppers_per_day(), days, [WITH, WITHOUT]),
        orders_per_day=_series(q.orders_per_day(), days, [WITH, WITHOUT, UNSEEN]),
        unattributed_orders=q.unattributed_orders(),
        demo_shoppers=q.demo_shoppers(),
    )


def _series(rows: list[dict[str, Any]], days: list[date], keys: list[str]) -> DailySeries:
    index = {day: i for i, day in enumerate(days)}
    values = {key: [0] * len(days) for key in keys}
    for row in rows:
        i = index.get(row["day"])
        if i is not None:
            for key in keys:
                values[key][i] += int(row[key] or 0)
    return DailySeries(days, keys, values)


def _named_rows(funnels: dict[tuple[int, str], Funnel]) -> list[ProductRow]:
    """Rows with the adapter's names and URLs: one query per product model."""
    by_type: dict[int, list[str]] = {}
    for content_type_id, object_id in funnels:
        by_type.setdefault(content_type_id, []).append(object_id)
    adapter = get_adapter()
    rows = []
    for content_type_id, ids in by_type.items():
        content_type = ContentType.objects.get_for_id(content_type_id)
        model = content_type.model_class()
        products = model._default_manager.in_bulk(ids) if model is not None else {}
        by_key = {str(pk): product for pk, product in products.items()}
        for object_id in ids:
            product = by_key.get(object_id)
            name = adapter.name(product) if product is not None else f"#{object_id}"
            url = adapter.url(product) if product is not None else ""
            rows.append(
                ProductRow(
                    content_type_id, object_id, name, url, funnels[content_type_id, object_id]
                )
            )
    rows.sort(key=lambda row: (-row.funnel.shoppers, row.name.lower()))
    return rows


class _Queries:
    """The report's aggregate queries over one period."""

    def __init__(self, begin: datetime, stop: datetime) -> None:
        self.begin, self.stop = begin, stop

    def events(self, kind: str) -> QuerySet[ShopperEvent]:
        return ShopperEvent.objects.filter(
            kind=kind, created_at__gte=self.begin, created_at__lt=self.stop
        )

    def lines(self) -> QuerySet[RecordedOrderLine]:
        return RecordedOrderLine.objects.filter(
            order__created_at__gte=self.begin, order__created_at__lt=self.stop
        )

    def _same_product(self, kind: str, owner: str = "owner") -> Exists:
        return Exists(
            self.events(kind).filter(
                owner=OuterRef(owner),
                content_type=OuterRef("content_type"),
                object_id=OuterRef("object_id"),
            )
        )

    def _any_product(self, kind: str, owner: str = "owner") -> Exists:
        return Exists(self.events(kind).filter(owner=OuterRef(owner)))

    def _ordered_same_product(self) -> Exists:
        return Exists(
            self.lines().filter(
                order__owner=OuterRef("owner"),
                content_type=OuterRef("content_type"),
                object_id=OuterRef("object_id"),
            )
        )

    def _views(self) -> QuerySet[ShopperEvent]:
        return self.events(EventKind.VIEW)

    @staticmethod
    def _shopper_counts(tried: str) -> dict[str, Count]:
        def distinct(condition: Q) -> Count:
            return Count("owner", distinct=True, filter=condition)

        with_, without = Q(**{tried: True}), Q(**{tried: False})
        return {
            "shoppers_with": distinct(with_),
            "shoppers_without": distinct(without),
            "opened": distinct(Q(did_open=True)),
            "added_with": distinct(with_ & Q(did_add=True)),
            "added_without": distinct(without & Q(did_add=True)),
            "ordered_with": distinct(with_ & Q(did_order=True)),
            "ordered_without": distinct(without & Q(did_order=True)),
        }

    def per_product_shoppers(self) -> Iterator[dict[str, Any]]:
        rows = (
            self._views()
            .annotate(
                tried=self._same_product(EventKind.RESULT),
                did_open=self._same_product(EventKind.OPEN),
                did_add=self._same_product(EventKind.ADD_TO_CART),
                did_order=self._ordered_same_product(),
            )
            .values("content_type", "object_id")
            .annotate(**self._shopper_counts("tried"))
            .order_by()
        )
        return iter(rows)

    def total_shoppers(self) -> dict[str, Any]:
        # A shopper's try-on of any product puts them in the "with" group; an order counts
        # when it holds a product they viewed.
        return (
            self._views()
            .annotate(
                tried_any=self._any_product(EventKind.RESULT),
                did_open=self._any_product(EventKind.OPEN),
                did_add=self._any_product(EventKind.ADD_TO_CART),
                did_order=self._ordered_same_product(),
            )
            .aggregate(**self._shopper_counts("tried_any"))
        )

    def _viewed_lines(self) -> QuerySet[RecordedOrderLine]:
        viewed = Exists(
            self._views().filter(
                owner=OuterRef("order__owner"),
                content_type=OuterRef("content_type"),
                object_id=OuterRef("object_id"),
            )
        )
        return self.lines().filter(viewed)

    def per_product_values(self) -> Iterator[dict[str, Any]]:
        rows = (
            self._viewed_lines()
            .annotate(tried=self._same_product(EventKind.RESULT, owner="order__owner"))
            .values("content_type", "object_id")
            .annotate(
                value_with=Sum("value", filter=Q(tried=True)),
                value_without=Sum("value", filter=Q(tried=False)),
            )
            .order_by()
        )
        return iter(rows)

    def total_values(self) -> dict[str, Decimal | None]:
        return (
            self._viewed_lines()
            .annotate(tried_any=self._any_product(EventKind.RESULT, owner="order__owner"))
            .aggregate(
                value_with=Sum("value", filter=Q(tried_any=True)),
                value_without=Sum("value", filter=Q(tried_any=False)),
            )
        )

    def per_product_results(self) -> Iterator[dict[str, Any]]:
        led = Exists(
            self.lines().filter(
                order__owner=OuterRef("owner"),
                content_type=OuterRef("content_type"),
                object_id=OuterRef("object_id"),
                order__created_at__gte=OuterRef("created_at"),
            )
        )
        rows = (
            self.events(EventKind.RESULT)
            .annotate(led=led)
            .values("content_type", "object_id")
            .annotate(
                results=Count("pk"),
                converting=Count("pk", filter=Q(led=True)),
                credits=Sum("credits"),
            )
            .order_by()
        )
        return iter(rows)

    def shoppers_per_day(self) -> list[dict[str, Any]]:
        tried = Q(tried_any=True)
        return list(
            self._views()
            .annotate(tried_any=self._any_product(EventKind.RESULT))
            .values("day")
            .annotate(
                **{
                    WITH: Count("owner", distinct=True, filter=tried),
                    WITHOUT: Count("owner", distinct=True, filter=~tried),
                }
            )
            .order_by()
        )

    def orders_per_day(self) -> list[dict[str, Any]]:
        seen = Exists(self._views().filter(owner=OuterRef("owner")))
        tried = Exists(self.events(EventKind.RESULT).filter(owner=OuterRef("owner")))
        return list(
            RecordedOrder.objects.filter(created_at__gte=self.begin, created_at__lt=self.stop)
            .annotate(day=TruncDate("created_at"), seen=seen, tried=tried)
            .values("day")
            .annotate(
                **{
                    WITH: Count("pk", filter=Q(seen=True, tried=True)),
                    WITHOUT: Count("pk", filter=Q(seen=True, tried=False)),
                    UNSEEN: Count("pk", filter=Q(seen=False)),
                }
            )
            .order_by()
        )

    def demo_shoppers(self) -> int:
        demo = self._views().filter(owner__startswith=DEMO_OWNER_PREFIX)
        return demo.aggregate(n=Count("owner", distinct=True))["n"]

    def unattributed_orders(self) -> int:
        """Orders in the period by sessions that viewed no try-on product in it."""
        seen = Exists(self._views().filter(owner=OuterRef("owner")))
        return (
            RecordedOrder.objects.filter(created_at__gte=self.begin, created_at__lt=self.stop)
            .exclude(seen)
            .count()
        )


# CSV ---------------------------------------------------------------------------------------

CSV_HEADER = [
    "product",
    "product_key",
    "shoppers",
    "shoppers_with_tryon",
    "shoppers_without_tryon",
    "opened_widget",
    "got_result",
    "added_to_cart_with_tryon",
    "added_to_cart_without_tryon",
    "ordered_with_tryon",
    "ordered_without_tryon",
    "order_value_with_tryon",
    "order_value_without_tryon",
    "conversion_with_tryon",
    "conversion_without_tryon",
    "conversion_difference",
    "difference_ci95_low",
    "difference_ci95_high",
    "results",
    "results_leading_to_an_order",
    "credits",
    "credits_per_result_leading_to_an_order",
]


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def csv_row(name: str, key: str, f: Funnel) -> list[str]:
    conversion = f.conversion
    interval = conversion.interval
    per_result = f.credits_per_converting_result
    return [
        name,
        key,
        str(f.shoppers),
        str(f.shoppers_with),
        str(f.shoppers_without),
        str(f.opened),
        str(f.shoppers_with),
        str(f.added_with),
        str(f.added_without),
        str(f.ordered_with),
        str(f.ordered_without),
        str(f.value_with),
        str(f.value_without),
        _rate(conversion.rate_a),
        _rate(conversion.rate_b),
        _rate(conversion.difference),
        # Empty below the minimum sample: "not enough data".
        _rate(interval.low if interval else None),
        _rate(interval.high if interval else None),
        str(f.results),
        str(f.converting_results),
        str(f.credits),
        "" if per_result is None else str(per_result),
    ]


def csv_rows(report: Report) -> Iterator[list[str]]:
    """The report as CSV rows: a header, one row per product, then the total."""
    yield CSV_HEADER
    for row in report.products:
        content_type = ContentType.objects.get_for_id(row.content_type_id)
        key = f"{content_type.app_label}.{content_type.model}:{row.object_id}"
        yield csv_row(row.name, key, row.funnel)
    yield csv_row("TOTAL", "", report.total)
