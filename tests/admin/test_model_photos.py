"""The model photo admin: categories as checkboxes, images checked by content, counts."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from django_tryon.models import ModelPhoto
from tests.fixtures import make_image

from .support import add_photo, queries

PHOTOS = "/admin/django_tryon/modelphoto/"


def test_changelist_shows_thumbnails_and_categories(admin_client, shop):
    response = admin_client.get(PHOTOS)
    content = response.content.decode()
    assert f"{PHOTOS}{shop['alex'].pk}/preview/image/?size=thumb" in content
    assert '<span class="tryon-chip">Lower body</span>' in content


def test_changelist_query_count_does_not_grow(admin_client, shop):
    def render():
        assert admin_client.get(PHOTOS).status_code == 200

    small = queries(render)
    for i in range(8):
        add_photo(f"Model {i}", colour=i)
    assert queries(render) == small


def test_filter_by_category(admin_client, shop):
    response = admin_client.get(f"{PHOTOS}?suits=lower_body")
    assert [p.name for p in response.context["cl"].result_list] == ["Alex"]


def test_add_with_categories(admin_client, db):
    picture = SimpleUploadedFile("kim.jpg", make_image((300, 400)))
    response = admin_client.post(
        f"{PHOTOS}add/",
        {
            "name": "Kim",
            "image": picture,
            "categories": ["full_body", "upper_body"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    photo = ModelPhoto.objects.get(name="Kim")
    assert photo.categories == "upper_body,full_body"  # in the canonical order
    form = admin_client.get(f"{PHOTOS}{photo.pk}/change/").context["adminform"].form
    assert form["categories"].value() == ["upper_body", "full_body"]


def test_the_add_form_ticks_every_category_by_default(admin_client, db):
    form = admin_client.get(f"{PHOTOS}add/").context["adminform"].form
    assert form["categories"].value() == ["upper_body", "lower_body", "full_body"]


def test_a_file_that_is_not_an_image_is_refused(admin_client, db):
    fake = SimpleUploadedFile(
        "kim.jpg", b"%PDF-1.4 definitely not a photo", content_type="image/jpeg"
    )
    response = admin_client.post(
        f"{PHOTOS}add/",
        {"name": "Kim", "image": fake, "categories": ["upper_body"], "is_active": "on"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["image"]
    assert errors == ["This file is not a picture. Please use a JPEG, PNG or WebP photo."]
    assert not ModelPhoto.objects.exists()


def test_a_gif_is_refused_with_the_allowed_formats(admin_client, db):
    gif = SimpleUploadedFile("kim.gif", make_image((60, 80), "GIF"))
    response = admin_client.post(
        f"{PHOTOS}add/",
        {"name": "Kim", "image": gif, "categories": ["upper_body"], "is_active": "on"},
    )
    assert "GIF pictures are not accepted" in response.content.decode()


def test_at_least_one_category(admin_client, db):
    picture = SimpleUploadedFile("kim.jpg", make_image((300, 400)))
    response = admin_client.post(
        f"{PHOTOS}add/", {"name": "Kim", "image": picture, "is_active": "on"}
    )
    assert "Choose at least one garment category." in response.content.decode()


def test_staff_without_permission(staff_client, shop):
    client = staff_client("django_tryon.view_tryonjob")
    assert client.get(PHOTOS).status_code == 403
    assert client.get(f"{PHOTOS}{shop['alex'].pk}/preview/image/").status_code == 403


def test_the_currently_link_goes_through_the_preview_view(admin_client, shop):
    photo = shop["alex"]
    content = admin_client.get(f"{PHOTOS}{photo.pk}/change/").content.decode()
    assert (
        f'Currently: <a href="{PHOTOS}{photo.pk}/preview/image/">{photo.image.name}</a>' in content
    )
    assert "/media/" not in content
