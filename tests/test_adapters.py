"""The product adapter: the default one's duck typing, variants, and a shop's own adapter
being asked everywhere (widget, gallery, shopper API, admin, generation)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template
from django.test import RequestFactory

from django_tryon.adapters import DefaultProductAdapter, ProductAdapter, get_adapter
from django_tryon.models import Garment, Source, TryOnJob
from django_tryon.services import select_garments, shopper
from tests.fixtures import create_featured_result, create_garment, make_image
from tests.shop.models import Product, Style

ADAPTER = "tests.test_adapters.VipOnlyAdapter"


class VipOnlyAdapter(DefaultProductAdapter):
    """A shop's own rules: products named "VIP ..." only for requests with ?vip=1."""

    def is_available(self, product, request=None):
        if product.name.startswith("VIP") and (request is None or "vip" not in request.GET):
            return False
        return super().is_available(product, request)

    def name(self, product):
        return f"{product.name} (our shop)"


def render(source: str, request=None, **context) -> str:
    context["request"] = request or RequestFactory().get("/")
    return Template("{% load tryon %}" + source).render(Context(context))


def test_default_adapter_is_configured_and_cached(settings):
    assert type(get_adapter()) is DefaultProductAdapter
    assert get_adapter() is get_adapter()
    settings.TRYON = {"PRODUCT_ADAPTER": ADAPTER}
    assert type(get_adapter()) is VipOnlyAdapter


def test_an_adapter_that_does_not_import_is_reported(settings):
    settings.TRYON = {"PRODUCT_ADAPTER": "no.such.Adapter"}
    with pytest.raises(ImproperlyConfigured, match="PRODUCT_ADAPTER"):
        get_adapter()


def test_the_base_class_leaves_availability_to_the_shop():
    with pytest.raises(NotImplementedError):
        ProductAdapter().is_available(SimpleNamespace())
    assert ProductAdapter().images(SimpleNamespace()) == []
    assert ProductAdapter().category(SimpleNamespace()) is None


def test_default_adapter_duck_types_flags_names_and_urls():
    adapter = DefaultProductAdapter()
    assert adapter.is_available(SimpleNamespace())
    assert not adapter.is_available(None)
    assert not adapter.is_available(SimpleNamespace(is_published=False))
    assert adapter.is_available(SimpleNamespace(is_published=False, tryon_available=True))
    shirt = Product(pk=3, name="Shirt")
    assert adapter.name(shirt) == "Shirt"
    assert adapter.url(shirt) == "/products/3/"
    assert adapter.url(SimpleNamespace()) == ""
    assert adapter.parent(shirt) is None


@pytest.mark.django_db
def test_default_adapter_knows_variants_by_their_parent():
    adapter = DefaultProductAdapter()
    parent = Style.objects.create(title="Polo")
    child = Style.objects.create(title="Polo, red", parent=parent)
    assert adapter.parent(child) == parent
    assert adapter.parent(parent) is None
    assert adapter.parent_keys(Style.objects.all()) == {str(child.pk): str(parent.pk)}
    assert adapter.parent_keys(Product.objects.all()) == {}
    assert adapter.is_available(child)
    parent.is_active = False
    assert not adapter.is_available(child), "a hidden parent hides its variants"


@pytest.mark.django_db
def test_a_variant_without_a_garment_of_its_own_uses_its_parents():
    parent = Style.objects.create(title="Polo")
    red = Style.objects.create(title="Polo, red", parent=parent)
    blue = Style.objects.create(title="Polo, blue", parent=parent)
    polo = create_garment(parent, name="Polo")
    blue_polo = create_garment(blue, name="Blue polo")
    assert shopper.widget_garment(red) == polo
    assert shopper.widget_garment(blue) == blue_polo
    assert f'"garment": {polo.pk}' in render("{% tryon_widget product %}", product=red)
    selection = select_garments(Style.objects.filter(pk__in=[red.pk, blue.pk]))
    assert {g.pk for g in selection.garments} == {polo.pk, blue_polo.pk}
    assert selection.products_without_garments == 0
    parent.is_active = False
    parent.save()
    assert shopper.widget_garment(red) is None
    assert render("{% tryon_widget product %}", product=red).strip() == ""


@pytest.mark.django_db
def test_the_shops_adapter_decides_for_widget_gallery_and_api(settings, client):
    settings.TRYON = {**settings.TRYON, "PRODUCT_ADAPTER": ADAPTER}
    product = Product.objects.create(name="VIP jacket")
    garment = create_garment(product, name="")
    create_featured_result(garment)
    plain = RequestFactory().get("/")
    vip = RequestFactory().get("/?vip=1")
    assert render("{% tryon_widget product %}", plain, product=product).strip() == ""
    assert render("{% tryon_gallery product %}", plain, product=product).strip() == ""
    widget = render("{% tryon_widget product %}", vip, product=product)
    assert "VIP jacket (our shop)" in widget
    gallery = render("{% tryon_gallery product %}", vip, product=product)
    assert "VIP jacket (our shop) worn by one of our models" in gallery

    data = {"garment": garment.pk, "consent": "1"}
    response = client.post("/tryon/jobs/", {**data, "photo": _upload()})
    assert response.status_code == 404
    assert response.json()["code"] == "garment_unavailable"
    assert not TryOnJob.objects.filter(source=Source.SHOPPER).exists()
    response = client.post("/tryon/jobs/?vip=1", {**data, "photo": _upload()})
    assert response.status_code == 201, response.content


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("me.jpg", make_image(), content_type="image/jpeg")


@pytest.mark.django_db
def test_admin_names_products_through_the_adapter(settings, admin_client):
    settings.TRYON = {**settings.TRYON, "PRODUCT_ADAPTER": ADAPTER}
    product = Product.objects.create(name="Coat")
    create_garment(product, name="Coat garment")
    response = admin_client.get("/admin/django_tryon/garment/")
    assert "Coat (our shop)" in response.content.decode()
    assert Garment.objects.count() == 1


@pytest.mark.django_db
def test_the_garment_inline_preselects_the_implied_category(settings, admin_client):
    from catalog.models import Product as CatalogProduct

    settings.TRYON = {**settings.TRYON, "PRODUCT_ADAPTER": "tests.test_adapters.SkirtsAdapter"}
    skirt = CatalogProduct.objects.create(name="Skirt", slug="skirt", price=10)
    response = admin_client.get(f"/admin/catalog/product/{skirt.pk}/change/")
    (form,) = response.context["inline_admin_formsets"][0].formset.forms
    assert form.initial["category"] == "lower_body"


class SkirtsAdapter(DefaultProductAdapter):
    def category(self, product):
        return "lower_body"
