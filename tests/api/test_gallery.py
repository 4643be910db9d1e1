"""GET tryon/gallery/<token>/<width>.jpg: featured merchant results only, resized, public."""

from __future__ import annotations

import io

import pytest
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from django_tryon.models import Source, Status, TryOnJob
from django_tryon.services.gallery import gallery_items
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
    cache_control = response["Cache-Control"]
    # Shared caches may keep it but must revalidate: unpublishing takes effect at once.
    assert "public" in cache_control and "no-cache" in cache_control
    assert "max-age=0" in cache_control and response["ETag"]
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


def test_a_browser_revalidates_its_copy_for_free(client, garment):
    job = make_job(garment)
    etag = client.get(url(job))["ETag"]
    job.result.storage.delete(job.result.name)
    caches["default"].clear()  # a 304 needs neither the file nor the resized copy
    response = client.get(url(job), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304 and response["ETag"] == etag


def test_unpublishing_a_product_takes_its_gallery_down_at_once(client, garment):
    job = make_job(garment)
    etag = client.get(url(job))["ETag"]  # served, and in the server's cache
    product = garment.product
    product.is_published = False
    product.save()
    for response in (client.get(url(job)), client.get(url(job), HTTP_IF_NONE_MATCH=etag)):
        assert response.status_code == 404 and response.json()["code"] == "not_found"
        assert "public" not in response["Cache-Control"]
        assert "no-store" in response["Cache-Control"]
    assert gallery_items(product) == []


def test_an_expired_job_is_not_in_the_gallery(client, garment):
    job = make_job(garment)
    TryOnJob.objects.filter(pk=job.pk).update(expires_at=timezone.now())
    assert client.get(url(job)).status_code == 404
    assert gallery_items(garment.product) == []
