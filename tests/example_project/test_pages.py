"""The example shop's pages: list, detail, and no way to an unpublished product."""

from __future__ import annotations

from decimal import Decimal

import pytest
from catalog.models import Product

pytestmark = [pytest.mark.django_db, pytest.mark.urls("shop.urls")]


@pytest.fixture
def products() -> tuple[Product, Product]:
    shown = Product.objects.create(name="Linen Shirt", slug="linen-shirt", price=Decimal("49.00"))
    hidden = Product.objects.create(
        name="Secret Parka", slug="secret-parka", price=Decimal("199.00"), is_published=False
    )
    return shown, hidden


def test_list_shows_published_products(client, products):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Linen Shirt" in response.content
    assert b"/products/linen-shirt/" in response.content
    assert b"Secret Parka" not in response.content


def test_detail_page(client, products):
    response = client.get("/products/linen-shirt/")
    assert response.status_code == 200
    assert b"Linen Shirt" in response.content
    assert b"49.00" in response.content
    assert "catalog/product_detail.html" in [t.name for t in response.templates]


def test_unpublished_and_unknown_products_are_404(client, products):
    assert client.get("/products/secret-parka/").status_code == 404
    assert client.get("/products/no-such-thing/").status_code == 404


def test_admin_lists_products(admin_client, products):
    response = admin_client.get("/admin/catalog/product/")
    assert response.status_code == 200
    assert b"Secret Parka" in response.content
