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

    for row in q.event_figures(per_product=True):
        _set_event_figures(funnel(row), row)
    for row in q.order_figures(per_product=True):
        _set_order_figures(funnel(row), row)
    for row in q.result_figures():
        f = funnel(row)
        f.results, f.converting_results = row["results"], row["converting"]
        f.credits = row["credits"] or 0

    total = Funnel()
    _set_event_figures(total, next(iter(q.event_figures(per_product=False))))
    _set_order_figures(total, next(iter(q.order_figures(per_product=False))))
    for f in funnels.values():
        total.results += f.results
        total.converting_results += f.converting_results
        total.credits += f.credits

    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    orders_per_day = _series(q.orders_per_day(), days, [WITH, WITHOUT, UNSEEN])
    return Report(
        start=start,
        end=end,
        products=_named_rows(funnels),
        total=total,
        shoppers_per_day=_series(q.shoppers_per_day(), days, [WITH, WITHOUT]),
        orders_per_day=orders_per_day,
        unattributed_orders=orders_per_day.total(UNSEEN),
        demo_shoppers=q.demo_shoppers(),
    )


def _set_event_figures(f: Funnel, row: dict[str, Any]) -> None:
    f.shoppers_with = row["tried"]
    f.shoppers_without = row["viewers"] - row["tried"]
    f.opened = row["opened"]
    f.added_with = row["added_with"]
    f.added_without = row["added"] - row["added_with"]


def _set_order_figures(f: Funnel, row: dict[str, Any]) -> None:
    f.ordered_with = row["ordered_with"]
    f.ordered_without = row["ordered_all"] - row["ordered_with"]
    f.value_with = _money(row["value_with"])
    f.value_without = _money(row["value_all"]) - f.value_with


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
    """The report's aggregate queries over one period.

    Each correlated subquery (``Exists``) appears once per query, in the WHERE clause or in
    one aggregate's FILTER: databases evaluate every occurrence, so figures that would need
    it twice are taken as a difference instead ("without" = all - "with").
    """

    def __init__(self, begin: datetime, stop: datetime) -> None:
        self.begin, self.stop = begin, stop

    def events(self, *kinds: str) -> QuerySet[ShopperEvent]:
        return ShopperEvent.objects.filter(
            kind__in=kinds, created_at__gte=self.begin, created_at__lt=self.stop
        )

    def lines(self) -> QuerySet[RecordedOrderLine]:
        return RecordedOrderLine.objects.filter(
            created_at__gte=self.begin, created_at__lt=self.stop
        )

    def _by_owner(self, kind: str, *, same_product: bool) -> Exists:
        """Whether the row's owner has a ``kind`` event in the period (of the row's product)."""
        events = self.events(kind).filter(owner=OuterRef("owner"))
        if same_product:
            events = events.filter(
                content_type=OuterRef("content_type"), object_id=OuterRef("object_id")
            )
        return Exists(events)

    @staticmethod
    def _grouped(
        queryset: QuerySet[Any], per_product: bool, **figures: Any
    ) -> Iterator[dict[str, Any]]:
        if per_product:
            return iter(queryset.values("content_type", "object_id").annotate(**figures).order_by())
        return iter([queryset.aggregate(**figures)])

    def event_figures(self, *, per_product: bool) -> Iterator[dict[str, Any]]:
        """Viewers, and of those: opened, tried (got a result), added, added with a try-on.

        Per product, "tried" is a result of that product; in the total, of any product.
        """
        tried = self._by_owner(EventKind.RESULT, same_product=per_product)
        viewers = self.events(
            EventKind.VIEW, EventKind.OPEN, EventKind.RESULT, EventKind.ADD_TO_CART
        ).filter(self._by_owner(EventKind.VIEW, same_product=per_product))

        def shoppers(condition: Q) -> Count:
            return Count("owner", distinct=True, filter=condition)

        return self._grouped(
            viewers,
            per_product,
            viewers=shoppers(Q(kind=EventKind.VIEW)),
            opened=shoppers(Q(kind=EventKind.OPEN)),
            tried=shoppers(Q(kind=EventKind.RESULT)),
            added=shoppers(Q(kind=EventKind.ADD_TO_CART)),
            added_with=shoppers(Q(tried, kind=EventKind.ADD_TO_CART)),
        )

    def order_figures(self, *, per_product: bool) -> Iterator[dict[str, Any]]:
        """Shoppers who ordered a product they viewed, and the value, with a try-on too."""
        viewed = Exists(
            self.events(EventKind.VIEW).filter(
                owner=OuterRef("owner"),
                content_type=OuterRef("content_type"),
                object_id=OuterRef("object_id"),
            )
        )
        lines = (
            self.lines()
            .filter(viewed)
            .annotate(tried_it=self._by_owner(EventKind.RESULT, same_product=per_product))
        )
        return self._grouped(
            lines,
            per_product,
            ordered_all=Count("owner", distinct=True),
            ordered_with=Count("owner", distinct=True, filter=Q(tried_it=True)),
            value_all=Sum("value"),
            value_with=Sum("value", filter=Q(tried_it=True)),
        )

    def result_figures(self) -> Iterator[dict[str, Any]]:
        """Per product: results, those whose shopper then ordered the product, credits."""
        led = Exists(
            self.lines().filter(
                owner=OuterRef("owner"),
                content_type=OuterRef("content_type"),
                object_id=OuterRef("object_id"),
                created_at__gte=OuterRef("created_at"),
            )
        )
        return self._grouped(
            self.events(EventKind.RESULT),
            True,
            results=Count("pk"),
            converting=Count("pk", filter=Q(led)),
            credits=Sum("credits"),
        )

    def shoppers_per_day(self) -> list[dict[str, Any]]:
        tried = self._by_owner(EventKind.RESULT, same_product=False)
        # Any: the annotations named by WITH are keys the stubs' row TypedDict can't know.
        rows: Any = (
            self.events(EventKind.VIEW)
            .values("day")
            .annotate(
                all=Count("owner", distinct=True),
                **{WITH: Count("owner", distinct=True, filter=Q(tried))},
            )
            .order_by()
        )
        return [{**row, WITHOUT: row["all"] - row[WITH]} for row in rows]

    def orders_per_day(self) -> list[dict[str, Any]]:
        seen = Exists(self.events(EventKind.VIEW).filter(owner=OuterRef("owner")))
        tried = Exists(self.events(EventKind.RESULT).filter(owner=OuterRef("owner")))
        rows: Any = (  # Any: as in shoppers_per_day
            RecordedOrder.objects.filter(created_at__gte=self.begin, created_at__lt=self.stop)
            .annotate(day=TruncDate("created_at"), seen=seen, tried=tried)
            .values("day")
            .annotate(
                all=Count("pk"),
                seen_all=Count("pk", filter=Q(seen=True)),
                **{WITH: Count("pk", filter=Q(seen=True, tried=True))},
            )
            .order_by()
        )
        return [
            {
                **row,
                WITHOUT: row["seen_all"] - row[WITH],
                UNSEEN: row["all"] - row["seen_all"],
            }
            for row in rows
        ]

    def demo_shoppers(self) -> int:
        demo = self.events(EventKind.VIEW).filter(owner__startswith=DEMO_OWNER_PREFIX)
        return int(demo.aggregate(n=Count("owner", distinct=True))["n"])


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
