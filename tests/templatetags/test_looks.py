"""'Complete the look' in the widget: the products the shop offers, of other categories."""

from __future__ import annotations

import pytest

from django_tryon.adapters import DefaultProductAdapter
from tests.fixtures import create_garment
from tests.shop.models import Product
from tests.templatetags.test_tryon import configs, render

pytestmark = pytest.mark.django_db


class OffersEverything(DefaultProductAdapter):
    """A shop whose adapter offers every other product to complete the look."""

    def outfit_products(self, product, request=None):
        return Product.objects.exclude(pk=product.pk).order_by("pk")


@pytest.fixture
def wardrobe(product, garment):
    """Besides the shirt (``garment``): trousers, a second shirt, and a hidden skirt."""
    trousers = Product.objects.create(name="Chinos")
    create_garment(trousers, name="Chinos", category="lower_body")
    polo = Product.objects.create(name="Polo")
    create_garment(polo, name="Polo", category="upper_body")
    skirt = Product.objects.create(name="Skirt", is_published=False)
    create_garment(skirt, name="Skirt", category="lower_body")
    return [trousers, polo, skirt]


def offered(html: str) -> list[str]:
    import re

    return re.findall(r"<span>Add ([^<]+)</span>", html)


def test_nothing_is_offered_unless_the_shop_says_so(product, wardrobe):
    html = render("{% tryon_widget product %}", product=product)
    assert "data-tryon-look" not in html and offered(html) == []


def test_the_tag_argument_offers_garments_of_other_categories_only(product, wardrobe):
    html = render("{% tryon_widget product outfit_with=others %}", product=product, others=wardrobe)
    assert offered(html) == ["Chinos"]  # the polo is a top too; the skirt is hidden
    assert 'data-category="lower_body"' in html and "Complete the look" in html
    assert configs(html)[0]["category"] == "upper_body"


def test_the_adapter_hook_offers_them_for_every_page(product, wardrobe, settings):
    settings.TRYON = {
        **settings.TRYON,
        "PRODUCT_ADAPTER": "tests.templatetags.test_looks.OffersEverything",
    }
    html = render("{% tryon_widget product %}", product=product)
    assert offered(html) == ["Chinos"]


def test_the_tag_argument_wins_over_the_adapter(product, wardrobe, settings):
    settings.TRYON = {
        **settings.TRYON,
        "PRODUCT_ADAPTER": "tests.templatetags.test_looks.OffersEverything",
    }
    html = render("{% tryon_widget product outfit_with=none %}", product=product, none=[])
    assert offered(html) == []
