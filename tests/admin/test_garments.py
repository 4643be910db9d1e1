"""The garment admin: list with thumbnails and result counts, images checked by content."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile

from django_tryon.models import Garment
from django_tryon.services import generate
from tests.fixtures import make_image

from .support import add_product, queries

GARMENTS = "/admin/django_tryon/garment/"


def test_changelist_with_thumbnails_products_and_counts(admin_client, shop, drive):
    shirt = Garment.objects.for_product(shop["shirts"][0]).get()
    generate([shirt], [shop["alex"], shop["sam"]], "sandbox")
    drive()
    response = admin_client.get(GARMENTS)
    assert response.status_code == 200
    content = response.content.decode()
    assert f"{GARMENTS}{shirt.pk}/preview/image/?size=thumb" in content
    assert "/admin/catalog/product/" in content  # the product, linked
    assert f"?status__exact=succeeded&amp;garment={shirt.pk}" in content
    rows = {g.pk: g.tryon_results for g in response.context["cl"].result_list}
    assert rows[shirt.pk] == 2 and sum(rows.values()) == 2


def test_changelist_query_count_does_not_grow(admin_client, shop):
    def render():
        assert admin_client.get(GARMENTS).status_code == 200

    small = queries(render)
    for i in range(8):
        add_product(f"Tee {i}", colour=i)
    assert Garment.objects.count() == 11
    assert queries(render) == small


def test_filters_and_search(admin_client, shop):
    for query in (
        "category__exact=upper_body",
        "is_active__exact=1",
        "q=Oxford",
        "content_type__id__exact=1",
    ):
        assert admin_client.get(f"{GARMENTS}?{query}").status_code == 200
    response = admin_client.get(f"{GARMENTS}?q=Oxford")
    assert response.context["cl"].result_count == 1


def test_preview_serves_the_image_and_a_thumbnail(admin_client, shop):
    garment = Garment.objects.first()
    full = admin_client.get(f"{GARMENTS}{garment.pk}/preview/image/")
    assert full.status_code == 200 and full["Content-Type"] == "image/png"
    thumb = admin_client.get(f"{GARMENTS}{garment.pk}/preview/image/?size=thumb")
    assert thumb.status_code == 200 and thumb["Content-Type"].startswith("image/")
    assert admin_client.get(f"{GARMENTS}{garment.pk}/preview/prompt/").status_code == 404
    assert admin_client.get(f"{GARMENTS}999/preview/image/").status_code == 404


def test_change_page_shows_the_product_and_preview(admin_client, shop):
    garment = Garment.objects.for_product(shop["shirts"][0]).get()
    content = admin_client.get(f"{GARMENTS}{garment.pk}/change/").content.decode()
    assert f"{GARMENTS}{garment.pk}/preview/image/?size=thumb" in content
    assert "Oxford Shirt" in content


def test_adding_a_garment_checks_the_image_by_content(admin_client, shop):
    content_type = ContentType.objects.get_for_model(shop["bare"])
    data = {
        "content_type": content_type.pk,
        "object_id": shop["bare"].pk,
        "name": "Gift wrap",
        "category": "upper_body",
        "is_active": "on",
    }
    text = SimpleUploadedFile("wrap.png", b"not a picture at all", content_type="image/png")
    response = admin_client.post(f"{GARMENTS}add/", {**data, "image": text})
    assert response.status_code == 200
    assert "This file is not a picture" in response.content.decode()
    assert not Garment.objects.filter(name="Gift wrap").exists()

    picture = SimpleUploadedFile("wrap.png", make_image((100, 100), "PNG", person=False))
    response = admin_client.post(f"{GARMENTS}add/", {**data, "image": picture})
    assert response.status_code == 302
    assert Garment.objects.for_product(shop["bare"]).get().name == "Gift wrap"


def test_product_types_offered_are_products(admin_client, shop):
    response = admin_client.get(f"{GARMENTS}add/")
    offered = {
        ct.app_label for ct in response.context["adminform"].form.fields["content_type"].queryset
    }
    assert "catalog" in offered
    assert not offered & {"auth", "django_tryon", "contenttypes", "sessions"}


def test_staff_without_garment_permissions(staff_client, shop):
    client = staff_client("django_tryon.view_tryonjob")
    garment = Garment.objects.first()
    assert client.get(GARMENTS).status_code == 403
    assert client.get(f"{GARMENTS}{garment.pk}/preview/image/").status_code == 403


def test_the_currently_link_goes_through_the_preview_view(admin_client, shop):
    garment = Garment.objects.for_product(shop["shirts"][0]).get()
    content = admin_client.get(f"{GARMENTS}{garment.pk}/change/").content.decode()
    preview = f"{GARMENTS}{garment.pk}/preview/image/"
    assert f'Currently: <a href="{preview}">{garment.image.name}</a>' in content
    assert "/media/" not in content  # never a raw storage URL
    assert admin_client.get(preview).status_code == 200


def test_the_inline_on_the_product_page_links_to_the_preview_view(admin_client, shop):
    product = shop["shirts"][0]
    garment = Garment.objects.for_product(product).get()
    content = admin_client.get(f"/admin/catalog/product/{product.pk}/change/").content.decode()
    assert f'Currently: <a href="{GARMENTS}{garment.pk}/preview/image/">' in content
    assert "/media/" not in content
