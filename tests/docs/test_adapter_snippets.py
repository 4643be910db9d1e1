"""The "Writing an adapter" page: its example adapter, settings and admin one-liner work."""

from __future__ import annotations

import runpy
from types import SimpleNamespace

from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.urls import path

from django_tryon.adapters import get_adapter
from django_tryon.admin import TryOnProductAdminMixin
from tests.docs.support import DOCS, read_snippet, snippet
from tests.shop.models import Product

urlpatterns = [path("p/<slug:slug>/", lambda request, slug: HttpResponse(), name="product")]


def example_adapter():
    return runpy.run_path(str(snippet("adapter/adapter.py")))["ShopAdapter"]()


def product(**fields):
    photos = fields.pop("photos", [])
    defaults = {
        "title": "Linen shirt",
        "slug": "linen-shirt",
        "status": "live",
        "members_only": False,
        "parent": None,
        "department": "tops",
        "photos": SimpleNamespace(all=lambda: photos),
    }
    return SimpleNamespace(**{**defaults, **fields})


def request(signed_in: bool):
    req = RequestFactory().get("/")
    req.user = SimpleNamespace(is_authenticated=True) if signed_in else AnonymousUser()
    return req


def test_example_adapter_answers_every_question():
    adapter = example_adapter()
    shirt = product()
    assert adapter.is_available(shirt)
    assert not adapter.is_available(product(status="draft"))
    members = product(members_only=True)
    assert not adapter.is_available(members, request(signed_in=False))
    assert adapter.is_available(members, request(signed_in=True))
    assert not adapter.is_available(product(parent=product(status="draft")))
    assert adapter.name(shirt) == "Linen shirt"
    with override_settings(ROOT_URLCONF=__name__):
        assert adapter.url(shirt) == "/p/linen-shirt/"
    photo = SimpleNamespace(pk=7, file=SimpleNamespace(name="photos/7.jpg", url="/m/7.jpg"))
    (image,) = adapter.images(product(photos=[photo]))
    assert (image.key, image.name, image.url) == ("7", "photos/7.jpg", "/m/7.jpg")
    assert adapter.category(product(department="dresses")) == "full_body"
    assert adapter.category(product(department="socks")) is None
    assert adapter.product_models() == [Product]


def test_settings_snippet_names_the_adapter(settings):
    namespace: dict = {}
    exec(read_snippet("adapter/settings.py"), namespace)
    settings.TRYON = namespace["TRYON"]
    assert settings.TRYON["PRODUCT_ADAPTER"] == "shop.tryon.ShopAdapter"
    settings.TRYON = {"PRODUCT_ADAPTER": "tests.docs.test_adapter_snippets.ExampleAdapter"}
    assert type(get_adapter()).__name__ == "ShopAdapter"


def test_admin_one_liner_adds_tryon_to_a_registered_admin():
    from catalog.models import Product as CatalogProduct

    original = admin.site._registry[CatalogProduct]
    admin.site.unregister(CatalogProduct)
    admin.site.register(CatalogProduct, admin.ModelAdmin)
    try:
        runpy.run_path(str(snippet("integration/admin_registered.py")))
        assert isinstance(admin.site._registry[CatalogProduct], TryOnProductAdminMixin)
    finally:
        admin.site.unregister(CatalogProduct)
        admin.site._registry[CatalogProduct] = original


def test_pages_link_the_adapter_page():
    assert "adapter.md" in (DOCS / "integration.md").read_text()
    assert "adapter.md" in (DOCS / "settings.md").read_text()


ExampleAdapter = runpy.run_path(str(snippet("adapter/adapter.py")))["ShopAdapter"]
