"""The conversion report page's snippets, run: a checkout reporting its order, the signals."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from django_tryon import signals
from django_tryon.models import RecordedOrder, TryOnJob
from tests.docs.support import read_snippet
from tests.services.conversion_support import result_job, send, shopper_request

pytestmark = pytest.mark.django_db


def run_snippet(name: str) -> dict:
    namespace: dict = {"__name__": name.replace("/", "_").removesuffix(".py")}
    exec(compile(read_snippet(name), name, "exec"), namespace)
    return namespace


@dataclass
class Line:
    product: object
    quantity: int
    unit_price: str


@dataclass
class Order:
    number: str
    lines: list[Line] = field(default_factory=list)


@dataclass
class Cart:
    lines: list[Line]

    def save_as_order(self) -> Order:
        return Order("2026-0042", self.lines)


def test_the_checkout_reports_its_order(product, garment, monkeypatch):
    namespace = run_snippet("conversions/checkout.py")
    monkeypatch.setitem(namespace, "redirect", lambda name: name)
    request = shopper_request()
    send(request, ("view", product, None))
    answer = namespace["place_order"](request, Cart([Line(product, 2, "59.00")]))
    assert answer == "thank-you"
    order = RecordedOrder.objects.get()
    assert (order.reference, order.total) == ("2026-0042", Decimal("118.00"))
    assert order.owner and order.lines.get().quantity == 2


def test_the_signal_receivers_hear_adds_to_cart_and_orders(product, garment, caplog):
    namespace = run_snippet("conversions/signals.py")
    try:
        request = shopper_request()
        job = result_job(request, garment)
        with caplog.at_level(logging.INFO, logger="shop.tryon"):
            send(request, ("add_to_cart", product, job))
            from django_tryon.services import record_order

            record_order(request, [(product, 1, Decimal("10.00"))], reference="A-7")
        assert f"after try-on {job.token}" in caplog.text
        assert "order A-7 recorded: 10.00" in caplog.text
    finally:
        signals.tryon_add_to_cart.disconnect(namespace["note_add_to_cart"])
        signals.order_recorded.disconnect(namespace["note_order"])
    assert TryOnJob.objects.count() == 1
