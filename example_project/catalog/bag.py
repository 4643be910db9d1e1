"""The shop's bag: product pks and quantities, kept in the session."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .models import Product

SESSION_KEY = "bag"
MAX_QUANTITY = 10


@dataclass(frozen=True)
class Line:
    product: Product
    quantity: int

    @property
    def total(self) -> Decimal:
        return self.product.price * self.quantity


class Bag:
    """``{"<product pk>": quantity}`` in ``request.session``; unpublished products drop out."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.items: dict[str, int] = dict(session.get(SESSION_KEY, {}))

    def add(self, product: Product, quantity: int = 1) -> None:
        key = str(product.pk)
        self.items[key] = min(MAX_QUANTITY, self.items.get(key, 0) + quantity)
        self.save()

    def set(self, product: Product, quantity: int) -> None:
        """Change a line's quantity; 0 removes it."""
        if quantity <= 0:
            self.items.pop(str(product.pk), None)
        else:
            self.items[str(product.pk)] = min(MAX_QUANTITY, quantity)
        self.save()

    def lines(self) -> list[Line]:
        products = Product.objects.published().in_bulk([int(pk) for pk in self.items])
        return [
            Line(products[int(pk)], quantity)
            for pk, quantity in self.items.items()
            if int(pk) in products
        ]

    def count(self) -> int:
        return sum(self.items.values())

    def clear(self) -> None:
        self.items = {}
        self.save()

    def save(self) -> None:
        self.session[SESSION_KEY] = self.items
        self.session.modified = True


def total(lines: list[Line]) -> Decimal:
    return sum((line.total for line in lines), Decimal("0.00"))
