"""A small Oscar catalogue: shirts (one hidden), a parent polo with variants, photos."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.base import ContentFile
from django.test import Client
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


@pytest.fixture
def staff_client(db) -> Callable[..., Client]:
    """``staff_client("django_tryon.view_tryonjob", ...)``: a staff user with those perms."""

    def make(*perms: str, staff: bool = True) -> Client:
        user = User.objects.create_user(
            f"staff{User.objects.count()}",
            f"s{User.objects.count()}@example.com",
            "x",
            is_staff=staff,
        )
        for perm in perms:
            app_label, codename = perm.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        client = Client()
        client.force_login(user)
        return client

    return make


# The browser tests' fixtures (the system's Chromium, tests/artifacts/).
from tests.e2e.conftest import artifacts, browser_type_launch_args  # noqa: E402, F401
