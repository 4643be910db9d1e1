"""Oscar's rules through the adapter: is_public (a variant's parent's too), titles, URLs,
product images, product classes to categories; hidden products refused before any credit."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from django_tryon.adapters import get_adapter
from django_tryon.contrib.oscar.adapter import OscarProductAdapter
from django_tryon.models import Garment, Source, TryOnJob
from django_tryon.services import credits_committed_today
from django_tryon.services.shopper import widget_garment
from tests.fixtures import make_image

from .conftest import add_picture

pytestmark = pytest.mark.django_db


def upload(client: Client, garment: Garment):
    photo = SimpleUploadedFile("me.jpg", make_image(), content_type="image/jpeg")
    return client.post("/tryon/jobs/", {"garment": garment.pk, "consent": "1", "photo": photo})


def test_installing_the_app_is_enough_to_use_oscars_adapter():
    assert type(get_adapter()) is OscarProductAdapter


def test_availability_follows_is_public_and_the_parents(catalogue):
    adapter = get_adapter()
    assert adapter.is_available(catalogue["shirt"])
    assert not adapter.is_available(catalogue["hidden"])
    assert adapter.is_available(catalogue["red"])
    catalogue["polo"].is_public = False
    catalogue["polo"].save()
    catalogue["red"].refresh_from_db()
    assert not adapter.is_available(catalogue["red"]), "a hidden parent hides its variants"


def test_names_urls_images_and_categories(catalogue):
    adapter, shirt, red = get_adapter(), catalogue["shirt"], catalogue["red"]
    assert adapter.name(shirt) == "Oxford Shirt"
    assert adapter.url(shirt) == shirt.get_absolute_url()
    assert adapter.parent(red) == catalogue["polo"] and adapter.parent(shirt) is None
    assert adapter.category(shirt) == "upper_body"  # "shirts" in OSCAR_PRODUCT_CLASS_CATEGORIES
    picture = add_picture(catalogue["polo"])
    (image,) = adapter.images(red)  # a variant without pictures: its parent's
    assert (image.key, image.name) == (str(picture.pk), picture.original.name)
    assert image.open().read(4) == b"\x89PNG"


def test_a_hidden_product_is_refused_with_no_job_and_no_credit(catalogue, client):
    response = upload(client, catalogue["hidden_garment"])
    assert response.status_code == 404
    assert response.json()["code"] == "garment_unavailable"
    assert not TryOnJob.objects.exists()
    assert credits_committed_today() == 0


def test_a_hidden_parents_variant_is_refused(catalogue, client):
    own = Garment.objects.create(product=catalogue["red"], category="upper_body", prompt="red polo")
    polo = catalogue["polo"]
    polo.is_public = False
    polo.save()
    for garment in (own, catalogue["polo_garment"]):
        response = upload(client, garment)
        assert response.status_code == 404, garment
    assert not TryOnJob.objects.filter(source=Source.SHOPPER).exists()


def test_a_variant_inherits_its_parents_garment(catalogue, client):
    assert widget_garment(catalogue["red"]) == catalogue["polo_garment"]
    response = upload(client, widget_garment(catalogue["red"]))
    assert response.status_code == 201, response.content
