"""Placing an order: the shop's own Order, then django-tryon's conversion report is told."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from django_tryon.services import record_order

from .bag import Bag, total
from .models import Order, OrderLine


class EmptyBag(Exception):
    """There is nothing to order."""


def place_order(request: HttpRequest, *, name: str, email: str) -> Order:
    """The bag's lines as an order at today's prices; the bag is emptied."""
    bag = Bag(request.session)
    lines = bag.lines()
    if not lines:
        raise EmptyBag
    with transaction.atomic():
        order = Order.objects.create(name=name, email=email, total=total(lines))
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                product=line.product,
                name=line.product.name,
                quantity=line.quantity,
                unit_price=line.product.price,
            )
            for line in lines
        )
    record_order(
        request,
        [(line.product, line.quantity, line.product.price) for line in lines],
        reference=order.number,
    )
    bag.clear()
    request.session.setdefault("orders", []).append(order.number)
    request.session.modified = True
    return order
