import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from catalog.models import Product  # your product model
from django_tryon.models import Garment, ModelPhoto
from django_tryon.services import paused_providers, request_tryon
from django_tryon.testing.queue import drive_pipeline


def picture(size, colour):
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).rectangle((40, 40, size[0] - 40, size[1] - 40), fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG")
    return ContentFile(out.getvalue(), name="picture.jpg")


@pytest.fixture
def magichour(settings, magichour_emulator):
    """Magic Hour, spoken by the emulator on 127.0.0.1: no account, no network."""
    settings.TRYON = {
        "DEFAULT_PROVIDER": "magichour",
        "PROVIDERS": {
            "magichour": {
                "BACKEND": "django_tryon.providers.magichour.MagicHourProvider",
                "API_KEY": magichour_emulator.api_key,
                "BASE_URL": magichour_emulator.base_url,
                "ALLOW_PRIVATE_URLS": True,
                "FIRST_POLL_AFTER": 0,  # the emulator answers at once: poll at once
            }
        },
    }
    return magichour_emulator


@pytest.fixture
def shirt(db):
    product = Product.objects.create(name="Oxford shirt", slug="oxford", price="59.00")
    garment = Garment(product=product, name="Oxford shirt", category="upper_body")
    garment.image.save("shirt.jpg", picture((400, 400), (90, 120, 200)))
    return garment


@pytest.fixture
def model(db):
    photo = ModelPhoto(name="Amara")
    photo.image.save("amara.jpg", picture((600, 800), (120, 90, 60)))
    return photo


def test_a_tryon_is_made_and_stored(magichour, shirt, model):
    job = request_tryon(shirt, model)
    assert drive_pipeline() == 0  # run the queued tasks here, polling until done
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert job.credits_charged == 25
    assert magichour.create_calls == 1


def test_a_rate_limit_is_retried(magichour, shirt, model):
    magichour.inject("http_error", status=429, retry_after=0, route="create")
    job = request_tryon(shirt, model)
    assert drive_pipeline() == 0
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert magichour.create_calls == 2


def test_no_person_in_the_photo(magichour, shirt, model):
    magichour.inject("project_error", code="no_source_face", message="No face found")
    job = request_tryon(shirt, model)
    drive_pipeline()
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error_code == "no_person"
    assert "couldn't find a person" in job.error_message


def test_a_bad_key_pauses_the_provider(magichour, shirt, model):
    magichour.api_key = "a-key-the-shop-does-not-have"
    job = request_tryon(shirt, model)
    drive_pipeline(timeout=2)
    job.refresh_from_db()
    assert job.status == "pending"  # waiting, not failed, not retried in a loop
    assert "magichour" in paused_providers()
