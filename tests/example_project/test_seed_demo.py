"""``seed_demo``: a catalogue that covers every category, valid pictures, idempotent."""

from __future__ import annotations

import io

import pytest
from catalog.models import Product
from django.contrib.auth import get_user_model
from django.core.management import call_command
from PIL import Image

from django_tryon.imaging import validate_image
from django_tryon.models import Category, Garment, ModelPhoto, Status
from django_tryon.services import request_tryon

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, list[tuple[object, ...]]]:
    return {
        "products": list(Product.objects.order_by("pk").values_list("pk", "slug", "image")),
        "garments": list(Garment.objects.order_by("pk").values_list("pk", "name", "image")),
        "photos": list(ModelPhoto.objects.order_by("pk").values_list("pk", "name", "image")),
        "users": list(get_user_model().objects.order_by("pk").values_list("pk", "username")),
    }


def test_seed_is_idempotent_and_covers_the_catalogue():
    output = seed()
    first = snapshot()
    assert "username 'admin', password 'admin'" in output

    assert Product.objects.published().count() >= 8
    assert Product.objects.filter(is_published=False).exists()  # shows the admin's filter off
    assert Garment.objects.count() >= 8
    assert set(Garment.objects.values_list("category", flat=True)) == set(Category.values)
    for product in Product.objects.all():
        assert product.image, product
        assert Garment.objects.for_product(product).count() == 1
    assert ModelPhoto.objects.count() >= 4
    for category in Category.values:
        assert ModelPhoto.objects.suiting(category).exists(), category
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("admin")

    seed()
    assert snapshot() == first


def test_astronaut_is_an_upper_body_photo():
    seed()
    astronaut = ModelPhoto.objects.get(name__startswith="Astronaut")
    assert astronaut.category_list == [Category.UPPER_BODY]
    assert (astronaut.image_width, astronaut.image_height) == (512, 512)
    others = ModelPhoto.objects.exclude(pk=astronaut.pk)
    assert others.count() >= 3
    assert all(set(p.category_list) == set(Category.values) for p in others)


def test_pictures_are_valid_images_for_the_app():
    seed()
    files = [g.image for g in Garment.objects.all()] + [p.image for p in ModelPhoto.objects.all()]
    for field_file in files:
        with field_file.open("rb") as handle:
            info = validate_image(handle)
            handle.seek(0)
            with Image.open(handle) as image:
                image.load()
        assert info.format in {"PNG", "JPEG"}
        assert min(image.size) >= 512, field_file.name
    # Garments are flat lays on white: the corners are white.
    with Garment.objects.first().image.open("rb") as handle, Image.open(handle) as image:
        assert image.convert("RGB").getpixel((2, 2)) == (255, 255, 255)


def test_seeded_garment_goes_through_the_pipeline(drive):
    seed()
    garment = Garment.objects.get(name="Pleated Midi Skirt")
    photo = ModelPhoto.objects.suiting(garment.category).first()
    job = request_tryon(garment, photo)
    assert drive() == 0
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error_message
    assert job.result


def test_the_stored_admin_hash_is_the_published_password():
    """Hashed once in advance (a first start saves PBKDF2's million rounds), still "admin"."""
    from catalog.management.commands.seed_demo import ADMIN_PASSWORD, ADMIN_PASSWORD_HASH
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    assert PBKDF2PasswordHasher().verify(ADMIN_PASSWORD, ADMIN_PASSWORD_HASH)


def test_pictures_drawn_side_by_side_are_the_pictures_drawn_one_by_one():
    from catalog.demo_images import picture, pictures
    from catalog.management.commands.seed_demo import FIGURES, PRODUCTS

    styles = [PRODUCTS[0].style, PRODUCTS[1].style, FIGURES[0][2]]
    drawn = pictures([*styles, styles[0]])  # a repeated style is drawn once
    assert list(drawn) == styles
    assert all(drawn[style] == picture(style) for style in styles)


def test_the_conversion_report_has_a_labelled_demo_history(admin_client):
    from django.utils import timezone

    from django_tryon.models import RecordedOrder, ShopperEvent
    from django_tryon.services import conversion_report
    from django_tryon.services.conversion_report import default_period

    output = seed()
    assert "made-up shoppers" in output
    events, orders = ShopperEvent.objects.count(), RecordedOrder.objects.count()
    assert events > 400 and orders > 10
    assert not ShopperEvent.objects.exclude(owner__startswith="demo:").exists()
    assert not RecordedOrder.objects.exclude(reference__startswith="DEMO-").exists()

    report = conversion_report(*default_period(30, timezone.localdate()))
    assert report.total.shoppers == report.demo_shoppers == 400
    assert report.total.ordered > 0 and report.total.shoppers_with > 0
    page = admin_client.get("/admin/django_tryon/conversionreport/").content.decode()
    assert "Demo data: 400 of these shoppers are made up" in page

    seed()  # idempotent
    assert (ShopperEvent.objects.count(), RecordedOrder.objects.count()) == (events, orders)


def test_seed_demo_can_leave_the_history_out():
    from django_tryon.models import ShopperEvent

    call_command("seed_demo", "--no-history", stdout=io.StringIO())
    assert not ShopperEvent.objects.exists()
