"""Oscar's orders reach the conversion report by themselves.

Oscar sends ``order_placed`` (``oscar.apps.order.signals``) for every order, with the order
and the user but not the request, whose session is what ties the order to the shopper's
try-ons. So the checkout's payment view (the one that places orders) is wrapped to keep its
request in a context variable while it runs; the receiver reads it there. An order placed
outside that view (a forked checkout placing from elsewhere, a management command) is
still recorded, attributed to no session.

Each line is recorded under the product whose page showed the widget: the product itself,
or, for a variant without a garment of its own, its parent (whose widget it was tried in).
"""

from __future__ import annotations

import contextvars
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from ...models import Garment
from ...services.conversions import OrderLine, record_order

current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "tryon_oscar_checkout_request", default=None
)


def with_request_kept(view_class: Any) -> type:
    class TryOnPaymentDetailsView(view_class):
        """Oscar's payment view, keeping its request for the ``order_placed`` receiver."""

        def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            token = current_request.set(request)
            try:
                return super().dispatch(request, *args, **kwargs)
            finally:
                current_request.reset(token)

    TryOnPaymentDetailsView.__name__ = view_class.__name__
    return TryOnPaymentDetailsView


def tried_product(product: Any) -> Any:
    """The product whose widget a shopper tried ``product`` in."""
    parent = getattr(product, "parent", None)
    if parent is not None and not Garment.objects.for_product(product).active().exists():
        return parent
    return product


def order_lines(order: Any) -> list[OrderLine]:
    lines: list[OrderLine] = []
    for line in order.lines.select_related("product__parent"):
        if line.product is None or not line.quantity:  # a product deleted since
            continue
        unit = line.unit_price_incl_tax
        if unit is None:
            unit = (line.line_price_incl_tax or Decimal(0)) / line.quantity
        lines.append((tried_product(line.product), int(line.quantity), Decimal(unit)))
    return lines


def order_placed_receiver(sender: Any, order: Any, **kwargs: Any) -> None:
    record_order(current_request.get(), order_lines(order), reference=str(order.number))
