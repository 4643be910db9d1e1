"""Bad parameters get a 4xx, never a 500: query strings, path converters and headers.

Every number a URL, a form or a header carries is parsed as ASCII digits within the
database's range (a 23-digit id overflows SQLite's and Postgres' integers; ``"²"`` is a
digit to ``str.isdigit`` but not to ``int``). Each probe below answered 500 once or is
of the same kind.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from django_tryon.models import TryOnBatch
from tests.security.conftest import Browser

pytestmark = pytest.mark.django_db

HUGE = "9" * 23
BAD_NUMBERS = [HUGE, "²", "٣", "-1", "0", "1e3", " 1", "1" * 400]

ADMIN = "/admin/django_tryon/"


@pytest.fixture
def admin_client_(db: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.create_superuser("root", password="x"))
    return client


def product_type() -> int:
    from tests.shop.models import Product

    return ContentType.objects.get_for_model(Product).pk


@pytest.mark.parametrize("value", BAD_NUMBERS)
def test_admin_changelist_filters(admin_client_, garment, value):
    urls = [f"{ADMIN}tryonjob/?{name}={value}" for name in ("batch", "garment", "model_photo")]
    urls += [
        f"{ADMIN}tryonjob/?product={value}-1",
        f"{ADMIN}tryonjob/?product={product_type()}-{value}",
        f"{ADMIN}tryonjob/?product={product_type()}-not-a-pk",
    ]
    for url in urls:
        response = admin_client_.get(url)
        assert response.status_code in (200, 302, 400, 404), (url, response.status_code)


@pytest.mark.parametrize("value", [HUGE, "1" * 400])
def test_admin_object_urls(admin_client_, garment, value):
    TryOnBatch.objects.create(provider="sandbox")
    urls = [
        f"{ADMIN}tryonjob/batch/{value}/",
        f"{ADMIN}tryonjob/batch/{value}/status.json",
        f"{ADMIN}tryonjob/{value}/change/",
        f"{ADMIN}tryonjob/{value}/preview/result/",
        f"{ADMIN}tryonjob/{value}/preview/person_image/?size=thumb",
        f"{ADMIN}garment/{value}/change/",
        f"{ADMIN}garment/{value}/preview/image/",
        f"{ADMIN}modelphoto/{value}/preview/image/",
        f"{ADMIN}modelphoto/{value}/delete/",
    ]
    for url in urls:
        response = admin_client_.get(url)
        assert response.status_code in (302, 404), (url, response.status_code)


@pytest.mark.parametrize("value", ["²", HUGE, "-3", "1e2"])
def test_admin_feature_position(admin_client_, garment, model_photo, value):
    from django_tryon.services import request_tryon

    job = request_tryon(garment, model_photo)
    response = admin_client_.post(
        f"{ADMIN}tryonjob/",
        {"action": "feature", "_selected_action": [job.pk], "position": value},
    )
    assert response.status_code in (200, 302), response.status_code


@pytest.mark.parametrize("value", [*BAD_NUMBERS, "abc", ""])
def test_shopper_create_with_a_bad_garment_id(value, settings):
    from tests.fixtures import make_image

    settings.TRYON = {**settings.TRYON, "RATE_LIMITS": {}}
    response = Browser().upload(value, make_image())
    assert response.status_code == 404 and response.json()["code"] == "garment_not_found"


@pytest.mark.parametrize("length", ["²", HUGE, "-5", "abc"])
def test_shopper_create_with_a_bad_content_length(length):
    response = Browser().post("/tryon/jobs/", {"garment": "1"}, HTTP_CONTENT_LENGTH=length)
    assert 400 <= response.status_code < 500, response.status_code


@pytest.mark.parametrize("width", [HUGE, "0", "00320"])
def test_gallery_width(width):
    response = Client().get(f"/tryon/gallery/{'a' * 22}/{width}.jpg")
    assert response.status_code == 404
