"""TryOnProductAdminMixin on the shop's own ProductAdmin: inline garments, action, counts."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile

from django_tryon.admin import (
    GarmentInline,
    TryOnProductAdminMixin,
    add_tryon_to_admin,
    generate_tryons,
)
from django_tryon.models import Garment
from django_tryon.services import generate
from tests.fixtures import make_image

from .support import add_product, queries

PRODUCTS = "/admin/catalog/product/"


def test_one_line_adds_inline_action_and_column():
    from catalog.models import Product

    product_admin = admin.site._registry[Product]
    assert isinstance(product_admin, TryOnProductAdminMixin)
    assert generate_tryons in product_admin.actions


def test_adding_tryon_to_an_already_registered_admin_keeps_it():
    from tests.shop.models import Product, Style

    class ShopProductAdmin(admin.ModelAdmin):
        list_display = ("name", "is_published")
        search_fields = ("name",)

    site = admin.AdminSite()
    site.register(Product, ShopProductAdmin)
    registered = add_tryon_to_admin(Product, site)
    assert add_tryon_to_admin(Product, site) is registered, "twice changes nothing"
    product_admin = site._registry[Product]
    assert isinstance(product_admin, ShopProductAdmin)
    assert isinstance(product_admin, TryOnProductAdminMixin)
    assert product_admin.search_fields == ("name",)
    assert generate_tryons in product_admin.actions
    # No admin yet: one is registered.
    add_tryon_to_admin(Style, site)
    assert isinstance(site._registry[Style], TryOnProductAdminMixin)


def test_the_mixin_respects_disabled_actions(rf, admin_user):
    from tests.shop.models import Product

    class QuietAdmin(TryOnProductAdminMixin, admin.ModelAdmin):
        actions = None

    request = rf.get("/")
    request.user = admin_user
    assert QuietAdmin(Product, admin.AdminSite()).get_actions(request) == {}


def test_results_column_counts_merchant_results(admin_client, shop, drive):
    shirt = shop["shirts"][0]
    generate(list(Garment.objects.for_product(shirt)), [shop["alex"], shop["sam"]], "sandbox")
    drive()
    response = admin_client.get(PRODUCTS)
    counts = {p.name: p.tryon_results_count for p in response.context["cl"].result_list}
    assert counts["Oxford Shirt"] == 2 and counts["Linen Shirt"] == 0
    content_type = ContentType.objects.get_for_model(shirt)
    assert f"product={content_type.pk}-{shirt.pk}" in response.content.decode()
    # Sortable by it.
    response = admin_client.get(f"{PRODUCTS}?o=-5")
    assert response.status_code == 200


def test_results_column_has_no_query_per_row(admin_client, shop):
    def render():
        assert admin_client.get(PRODUCTS).status_code == 200

    small = queries(render)
    for i in range(10):
        add_product(f"Tee {i}", colour=i)
    assert queries(render) == small


def test_garments_are_inline_on_the_product_page(admin_client, shop):
    product = shop["shirts"][0]
    response = admin_client.get(f"{PRODUCTS}{product.pk}/change/")
    assert response.status_code == 200
    inlines = response.context["inline_admin_formsets"]
    assert any(isinstance(f.opts, GarmentInline) for f in inlines)
    content = response.content.decode()
    assert "Try-on garments" in content
    garment = Garment.objects.for_product(product).get()
    assert f"/admin/django_tryon/garment/{garment.pk}/preview/image/?size=thumb" in content


def inline_data(product, **garment):
    prefix = "django_tryon-garment-content_type-object_id"
    data = {
        "name": product.name,
        "slug": product.slug,
        "price": "10.00",
        "description": "",
        "is_published": "on",
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    data.update({f"{prefix}-0-{key}": value for key, value in garment.items()})
    return data


def test_adding_a_garment_from_the_product_page(admin_client, shop):
    product = shop["bare"]
    picture = SimpleUploadedFile("card.png", make_image((120, 120), "PNG", person=False))
    response = admin_client.post(
        f"{PRODUCTS}{product.pk}/change/",
        inline_data(product, image=picture, name="Card", category="upper_body", is_active="on"),
    )
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    assert Garment.objects.for_product(product).get().name == "Card"


def test_a_garment_that_is_not_an_image_is_refused_inline(admin_client, shop):
    product = shop["bare"]
    fake = SimpleUploadedFile("card.png", b"GIF89a? no, just text", content_type="image/png")
    response = admin_client.post(
        f"{PRODUCTS}{product.pk}/change/",
        inline_data(product, image=fake, name="Card", category="upper_body", is_active="on"),
    )
    assert response.status_code == 200
    assert not Garment.objects.for_product(product).exists()


def test_staff_without_garment_permissions_see_no_inline(staff_client, shop):
    client = staff_client("catalog.view_product", "catalog.change_product")
    response = client.get(f"{PRODUCTS}{shop['shirts'][0].pk}/change/")
    assert response.status_code == 200
    assert "Try-on garments" not in response.content.decode()
