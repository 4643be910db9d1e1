"""GET tryon/gallery/<token>/<width>.jpg: featured merchant results only, resized, public."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from django_tryon.models import Source, Status, TryOnJob
from tests.fixtures import make_image

pytestmark = pytest.mark.django_db


def make_job(garment, *, featured=True, source=Source.ADMIN, status=Status.SUCCEEDED) -> TryOnJob:
    job = TryOnJob(
        garment=garment,
        category=garment.category,
        provider="sandbox",
        source=source,
        status=status,
        is_featured=featured,
    )
    job.result.save("r.jpg", ContentFile(make_image((1024, 1365))), save=False)
    job.save()
    return job


def url(job, width=640):
    return f"/tryon/gallery/{job.token}/{width}.jpg"


@pytest.mark.parametrize("width", [320, 640, 960])
def test_featured_result_is_public_and_resized(client, garment, width):
    job = make_job(garment)
    response = client.get(url(job, width))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "public" in response["Cache-Control"]
    image = Image.open(io.BytesIO(response.content))
    assert image.width == width and image.height == round(1365 * width / 1024)


def test_resized_once_then_cached(client, garment, django_assert_max_num_queries):
    job = make_job(garment)
    first = client.get(url(job)).content
    job.result.storage.delete(job.result.name)  # the cache answers from now on
    assert client.get(url(job)).content == first


@pytest.mark.parametrize(
    "kwargs",
    [{"featured": False}, {"source": Source.SHOPPER}, {"status": Status.FAILED}],
    ids=["not-featured", "shopper-photo", "not-succeeded"],
)
def test_only_featured_merchant_results(client, garment, kwargs):
    job = make_job(garment, **kwargs)
    response = client.get(url(job))
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_inactive_garment_and_odd_widths(client, garment):
    job = make_job(garment)
    assert client.get(url(job, 123)).status_code == 404
    garment.is_active = False
    garment.save()
    assert client.get(url(job)).status_code == 404


@pytest.mark.parametrize("token", ["%00" * 22, "a%00" + "b" * 20, "x" * 33, "short"])
def test_a_token_no_job_can_have_is_not_found(client, garment, token):
    # A NUL byte was a 500 on PostgreSQL, which refuses it in a query.
    make_job(garment)
    response = client.get(f"/tryon/gallery/{token}/640.jpg")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
