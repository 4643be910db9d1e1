"""The conversion report's figures, computed in plain Python from what a test did.

A test that plays shoppers through a shop (views, try-ons, carts, orders) notes each
shopper's doings in a ``ShopperPlay`` and compares the report with ``expected_report``:

    plays = [ShopperPlay(viewed={"shop.product:1"}, results={"shop.product:1"},
                         ordered={"shop.product:1": Decimal("59.00")})]
    expected = expected_report(plays)
    report = conversion_report(start, end)
    assert funnel_figures(report.total) == expected.total

The definitions are the report's (``django_tryon.services.conversion_report``), written
out again independently: every shopper counts among those who viewed; "with a try-on"
means a result of that product (in the total: of any product); an order counts for a
product the shopper viewed. Product keys are any strings, as long as the test uses the same
ones for the report's rows (``report_figures`` uses ``"app_label.model:pk"``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

FIGURES = (
    "shoppers_with",
    "shoppers_without",
    "opened",
    "added_with",
    "added_without",
    "ordered_with",
    "ordered_without",
    "value_with",
    "value_without",
)


@dataclass
class ShopperPlay:
    """One shopper's doings in the period, by product key."""

    viewed: set[str] = field(default_factory=set)
    opened: set[str] = field(default_factory=set)
    results: set[str] = field(default_factory=set)
    added: set[str] = field(default_factory=set)
    ordered: dict[str, Decimal] = field(default_factory=dict)  # product: value of its lines


@dataclass
class ExpectedFigures:
    shoppers_with: int = 0
    shoppers_without: int = 0
    opened: int = 0
    added_with: int = 0
    added_without: int = 0
    ordered_with: int = 0
    ordered_without: int = 0
    value_with: Decimal = Decimal("0.00")
    value_without: Decimal = Decimal("0.00")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ExpectedReport:
    products: dict[str, ExpectedFigures]
    total: ExpectedFigures


def _count(figures: ExpectedFigures, tried: bool, play: ShopperPlay, products: set[str]) -> None:
    suffix = "with" if tried else "without"
    setattr(figures, f"shoppers_{suffix}", getattr(figures, f"shoppers_{suffix}") + 1)
    if play.opened & products:
        figures.opened += 1
    if play.added & products:
        name = f"added_{suffix}"
        setattr(figures, name, getattr(figures, name) + 1)
    bought = [key for key in play.ordered if key in products and key in play.viewed]
    if bought:
        name = f"ordered_{suffix}"
        setattr(figures, name, getattr(figures, name) + 1)
        name = f"value_{suffix}"
        value = sum((play.ordered[key] for key in bought), Decimal("0.00"))
        setattr(figures, name, getattr(figures, name) + value)


def expected_report(plays: Iterable[ShopperPlay]) -> ExpectedReport:
    """What the report should say about these shoppers (those who viewed nothing: nothing)."""
    products: dict[str, ExpectedFigures] = {}
    total = ExpectedFigures()
    for play in plays:
        if not play.viewed:
            continue
        for key in play.viewed:
            _count(products.setdefault(key, ExpectedFigures()), key in play.results, play, {key})
        viewed_or_any = play.viewed | play.opened | play.added | set(play.ordered)
        _count(total, bool(play.results), play, viewed_or_any)
    return ExpectedReport(products, total)


def funnel_figures(funnel: Any) -> dict[str, Any]:
    """The report's figures of one row (a ``Funnel``), comparable with ``as_dict()``."""
    return {name: getattr(funnel, name) for name in FIGURES}


def report_figures(report: Any) -> dict[str, dict[str, Any]]:
    """``{"app_label.model:pk": figures}`` for every product row of a report."""
    from django.contrib.contenttypes.models import ContentType

    figures = {}
    for row in report.products:
        content_type = ContentType.objects.get_for_id(row.content_type_id)
        key = f"{content_type.app_label}.{content_type.model}:{row.object_id}"
        figures[key] = funnel_figures(row.funnel)
    return figures
