"""A small Oscar catalogue: shirts (one hidden), a parent polo with variants, photos."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.files.base import ContentFile
from oscar.core.loading import get_model
from oscar.test.factories import create_product, create_product_image, create_stockrecord

from tests.fixtures import create_garment, create_model_photo, make_image

Product = get_model("catalogue", "Product")


def add_product(title: str, **fields: Any) -> Any:
    fields.setdefault("product_class", "Shirts")
    fields.setdefault("price", Decimal("20.00"))
    fields.setdefault("num_in_stock", 10)
    return create_product(title=title, **fields)


def add_variant(parent: Any, title: str) -> Any:
    variant = Product.objects.create(parent=parent, structure=Product.CHILD, title=title)
    create_stockrecord(variant, price=Decimal("25.00"), num_in_stock=5)
    return variant


def add_picture(product: Any, colour=(200, 40, 40)) -> Any:
    picture = ContentFile(make_image((400, 400), "PNG", colour, person=False), name="shirt.png")
    return create_product_image(product=product, original=picture, caption=f"{product.title} front")


@pytest.fixture
def catalogue(db) -> dict[str, Any]:
    shirt = add_product("Oxford Shirt")
    hidden = add_product("Secret Shirt", is_public=False)
    polo = add_product("Polo", structure="parent", price=None, num_in_stock=None)
    red, blue = add_variant(polo, "Polo, red"), add_variant(polo, "Polo, blue")
    return {
        "shirt": shirt,
        "shirt_garment": create_garment(shirt, name="Oxford Shirt"),
        "hidden": hidden,
        "hidden_garment": create_garment(hidden, name="Secret Shirt"),
        "polo": polo,
        "polo_garment": create_garment(polo, name="Polo"),
        "red": red,
        "blue": blue,
        "alex": create_model_photo(),
    }


# The browser tests' fixtures (the system's Chromium, tests/artifacts/).
from tests.e2e.conftest import artifacts, browser_type_launch_args  # noqa: E402, F401
