"""The example shop's bag and one-page checkout: a session bag, and orders in its own model."""

from __future__ import annotations

from decimal import Decimal

import pytest
from catalog import checkout
from catalog.models import Order, Product

pytestmark = [pytest.mark.django_db, pytest.mark.urls("shop.urls")]


@pytest.fixture
def shirt() -> Product:
    return Product.objects.create(name="Linen Shirt", slug="linen-shirt", price=Decimal("49.00"))


@pytest.fixture
def tee() -> Product:
    return Product.objects.create(name="Breton Tee", slug="breton-tee", price=Decimal("29.50"))


@pytest.fixture
def orders(monkeypatch) -> list[tuple]:
    """What the checkout reports to django-tryon's record_order."""
    calls: list[tuple] = []

    def record_order(request, lines, *, reference=None):
        calls.append((request.session.session_key, list(lines), reference))

    monkeypatch.setattr(checkout, "record_order", record_order)
    return calls


def add(client, product, quantity="1"):
    return client.post(f"/bag/add/{product.pk}/", {"quantity": quantity})


def test_the_product_page_adds_to_the_bag(client, shirt):
    page = client.get("/products/linen-shirt/").content.decode()
    assert f'action="/bag/add/{shirt.pk}/"' in page and "disabled" not in page
    response = add(client, shirt)
    assert response.status_code == 302 and response["Location"] == "/bag/"
    bag = client.get("/bag/").content.decode()
    assert "Linen Shirt is in your bag." in bag
    assert "Linen Shirt" in bag and "€49.00" in bag and "Bag (1" in bag


def test_quantities_add_up_change_and_remove(client, shirt, tee):
    add(client, shirt)
    add(client, shirt, "2")
    add(client, tee)
    assert client.session["bag"] == {str(shirt.pk): 3, str(tee.pk): 1}
    assert "€176.50" in client.get("/bag/").content.decode()  # 3 × 49.00 + 29.50
    client.post(f"/bag/update/{shirt.pk}/", {"quantity": "1"})
    assert client.session["bag"] == {str(shirt.pk): 1, str(tee.pk): 1}
    client.post(f"/bag/update/{tee.pk}/", {"quantity": "1", "remove": "1"})
    assert client.session["bag"] == {str(shirt.pk): 1}
    client.post(f"/bag/update/{shirt.pk}/", {"quantity": "0"})
    assert "Your bag is empty." in client.get("/bag/").content.decode()


def test_a_bad_quantity_changes_nothing(client, shirt):
    for quantity in ("0", "11", "many"):
        response = add(client, shirt, quantity)
        assert response["Location"] == "/products/linen-shirt/"
    assert client.session.get("bag", {}) == {}
    assert client.get(f"/bag/add/{shirt.pk}/").status_code == 405


def test_an_unpublished_product_cannot_be_added_and_leaves_the_bag(client, shirt):
    add(client, shirt)
    shirt.is_published = False
    shirt.save()
    assert add(client, shirt).status_code == 404
    assert "Your bag is empty." in client.get("/bag/").content.decode()


def test_checkout_places_an_order_in_the_shops_model(client, shirt, tee, orders):
    add(client, shirt, "2")
    add(client, tee)
    page = client.get("/checkout/").content.decode()
    assert "Place order" in page and "€127.50" in page
    response = client.post("/checkout/", {"name": "Ada Lovelace", "email": "ada@example.com"})
    order = Order.objects.get()
    assert response["Location"] == f"/orders/{order.number}/"
    assert (order.name, order.email, order.total) == (
        "Ada Lovelace",
        "ada@example.com",
        Decimal("127.50"),
    )
    lines = {
        (line.product, line.name, line.quantity, line.unit_price) for line in order.lines.all()
    }
    assert lines == {
        (shirt, "Linen Shirt", 2, Decimal("49.00")),
        (tee, "Breton Tee", 1, Decimal("29.50")),
    }
    # django-tryon is told, with the shop's order number as the reference.
    ((session_key, reported, reference),) = orders
    assert session_key == client.session.session_key and reference == order.number
    assert sorted(reported, key=lambda line: line[1]) == [
        (tee, 1, Decimal("29.50")),
        (shirt, 2, Decimal("49.00")),
    ]
    done = client.get(response["Location"]).content.decode()
    assert "Thank you, Ada Lovelace" in done and order.number in done
    assert client.session["bag"] == {}


def test_checkout_needs_a_name_and_a_valid_email(client, shirt, orders):
    add(client, shirt)
    response = client.post("/checkout/", {"name": "", "email": "not-an-address"})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert "Enter a valid email address." in response.content.decode()
    assert not Order.objects.exists() and orders == []


def test_an_empty_bag_has_no_checkout(client, orders):
    assert client.get("/checkout/")["Location"] == "/bag/"
    assert client.post("/checkout/", {"name": "A", "email": "a@example.com"})["Location"] == "/bag/"
    assert not Order.objects.exists() and orders == []


def test_the_thank_you_page_is_for_the_shopper_who_ordered(
    client, shirt, orders, django_user_model
):
    from django.test import Client

    add(client, shirt)
    client.post("/checkout/", {"name": "Ada", "email": "ada@example.com"})
    number = Order.objects.get().number
    assert client.get(f"/orders/{number}/").status_code == 200
    assert Client().get(f"/orders/{number}/").status_code == 404
