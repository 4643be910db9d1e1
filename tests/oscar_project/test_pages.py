"""Oscar's own product page shows the widget and the gallery, with no template of ours to
copy; a parent's page lets the shopper pick a variant whose garment differs."""

from __future__ import annotations

import pytest

from django_tryon.models import Garment
from tests.fixtures import create_featured_result

pytestmark = pytest.mark.django_db


def page(client, product) -> str:
    response = client.get(product.get_absolute_url())
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_widget_is_on_oscars_product_page(catalogue, client):
    html = page(client, catalogue["shirt"])
    assert "data-tryon-widget" in html
    assert f'"garment": {catalogue["shirt_garment"].pk}' in html
    assert 'class="product_page"' in html and "Oxford Shirt" in html, "Oscar's page is all there"


def test_the_gallery_shows_featured_try_ons(catalogue, client):
    create_featured_result(catalogue["shirt_garment"])
    assert "tryon-gallery" in page(client, catalogue["shirt"])


def test_a_hidden_product_has_no_page(catalogue, client):
    assert client.get(catalogue["hidden"].get_absolute_url()).status_code == 404


def test_a_variant_page_uses_its_parents_garment(catalogue, client):
    assert f'"garment": {catalogue["polo_garment"].pk}' in page(client, catalogue["red"])


def test_a_parent_page_offers_variants_whose_garments_differ(catalogue, client):
    html = page(client, catalogue["polo"])
    assert "Try on a variant" not in html, "same garment for all: one widget"
    blue = Garment.objects.create(product=catalogue["blue"], category="upper_body", prompt="blue")
    html = page(client, catalogue["polo"])
    assert "Try on a variant" in html
    assert f'"garment": {blue.pk}' in html and f'"garment": {catalogue["polo_garment"].pk}' in html
    assert "Polo, blue" in html
