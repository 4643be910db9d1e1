"""Add to basket from a try-on result on Oscar's shop: the widget carries Oscar's own
add-to-basket form (``basket:add``), and sending it puts the product in Oscar's basket."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from oscar.core.loading import get_model

pytestmark = pytest.mark.django_db
Basket = get_model("basket", "Basket")


class CartFormParser(HTMLParser):
    """The widget's cart form: its action, fields (hidden and visible) and select options."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.options: dict[str, list[str]] = {}
        self.labels: list[str] = []
        self.button = ""
        self._in = self._select = self._label = self._button = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "data-tryon-cart" in a:
            self.action, self._in = a["action"], True
        elif self._in and tag == "input":
            self.fields[a["name"]] = a.get("value") or ""
        elif self._in and tag == "select":
            self._select = a["name"]
            self.options[self._select] = []
        elif self._in and tag == "option" and self._select:
            self.options[self._select].append(a["value"])
        elif self._in and tag in ("label", "button"):
            setattr(self, f"_{tag}", True)

    def handle_data(self, data):
        if self._label:
            self.labels.append(data.strip())
        if self._button:
            self.button += data.strip()

    def handle_endtag(self, tag):
        if tag == "form":
            self._in = None
        elif tag == "select":
            self._select = None
        elif tag in ("label", "button"):
            setattr(self, f"_{tag}", None)


def cart_form(client, product) -> CartFormParser:
    parser = CartFormParser()
    html = client.get(product.get_absolute_url()).content.decode()
    parser.feed(html)
    assert parser.action is not None, "no add-to-basket form in the widget"
    oscars = re.search(r'id="add_to_basket_form".*?<button[^>]*>\s*(.*?)\s*</button>', html, re.S)
    parser.oscars_button = oscars and oscars.group(1)  # type: ignore[attr-defined]
    return parser


def basket_lines(client) -> list[tuple[str, int]]:
    basket = Basket.objects.get(pk=client.cookies["oscar_open_basket"].value.split(":")[0])
    return [(line.product.get_title(), line.quantity) for line in basket.all_lines()]


def test_the_result_offers_oscars_add_to_basket_form(catalogue, client):
    shirt = catalogue["shirt"]
    form = cart_form(client, shirt)
    assert form.action == reverse("basket:add", kwargs={"pk": shirt.pk})
    assert form.fields["quantity"] == "1" and form.fields["csrfmiddlewaretoken"]
    assert form.button == form.oscars_button == "Add to cart"  # Oscar's words, as on its page
    response = client.post(form.action, form.fields)
    assert response.status_code == 302
    assert basket_lines(client) == [("Oxford Shirt", 1)]


def test_a_parents_form_asks_for_the_variant(catalogue, client):
    polo, red = catalogue["polo"], catalogue["red"]
    form = cart_form(client, polo)
    assert form.action == reverse("basket:add", kwargs={"pk": polo.pk})
    assert sorted(form.options["child_id"]) == sorted([str(red.pk), str(catalogue["blue"].pk)])
    assert "Variant:" in form.labels
    client.post(form.action, {**form.fields, "child_id": str(red.pk)})
    assert basket_lines(client) == [("Polo, red", 1)]


def test_the_form_has_ids_of_its_own_beside_oscars_form_on_the_page(catalogue, client):
    html = client.get(catalogue["polo"].get_absolute_url()).content.decode()
    assert html.count('id="id_child_id"') <= 1  # Oscar's own form only
    assert 'id="tryon-' in html and '-cart-child_id"' in html


def test_a_product_that_cannot_be_bought_has_no_form(catalogue, client):
    catalogue["shirt"].stockrecords.update(num_in_stock=0, num_allocated=0)
    html = client.get(catalogue["shirt"].get_absolute_url()).content.decode()
    assert "data-tryon-widget" in html, "the try-on stays"
    assert "data-tryon-cart" not in html and 'id="add_to_basket_form"' not in html


def test_the_form_speaks_german(catalogue, client):
    from django.utils import translation

    with translation.override("de"):  # Oscar's test shop has no LocaleMiddleware
        form = cart_form(client, catalogue["shirt"])
    assert form.button == form.oscars_button == "In Warenkorb legen"
