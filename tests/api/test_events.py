"""POST tryon/events/: the widget's events for the conversion report."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from django_tryon.models import EventKind, ShopperEvent, Source, Status, TryOnJob
from django_tryon.services.conversions import MAX_EVENTS

EVENTS_URL = "/tryon/events/"


def post(client, body, **extra):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(EVENTS_URL, data, content_type="application/json", **extra)


def assert_json_error(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"code", "message"} and body["code"] == code
    assert not ShopperEvent.objects.exists()


def view(product, kind="view", job=None):
    return {"type": kind, "product": str(product.pk), "job": job}


def test_events_are_taken_with_a_204(shopper, garment, product):
    response = post(shopper, {"events": [view(product), view(product, "open")]})
    assert response.status_code == 204 and response.content == b""
    assert "no-store" in response["Cache-Control"]
    assert sorted(ShopperEvent.objects.values_list("kind", flat=True)) == ["open", "view"]


def test_a_reload_does_not_count_twice(shopper, garment, product):
    for _ in range(3):
        assert post(shopper, {"events": [view(product)]}).status_code == 204
    assert ShopperEvent.objects.count() == 1


def test_the_owner_of_a_try_on_is_the_owner_of_its_events(shopper, garment, product, photo):
    created = shopper.upload(garment, photo)
    assert created.status_code == 201
    job = TryOnJob.objects.get()
    TryOnJob.objects.filter(pk=job.pk).update(status=Status.SUCCEEDED)
    events = [view(product), view(product, "result", job.token)]
    assert post(shopper, {"events": events}).status_code == 204
    result = ShopperEvent.objects.get(kind=EventKind.RESULT)
    assert result.owner == job.owner and result.job == job and job.source == Source.SHOPPER


def test_unknown_products_are_ignored(shopper, garment):
    response = post(shopper, {"events": [{"type": "view", "product": "987654", "job": None}]})
    assert response.status_code == 204
    assert not ShopperEvent.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        [],
        {"events": "view"},
        {"events": [{"type": "bought", "product": "1"}]},
        {"events": [{"type": "view", "product": None}]},
        {"events": [{"type": "view", "product": "1\x00"}]},
        {"events": [{"type": "view", "product": "1"}] * (MAX_EVENTS + 1)},
    ],
)
def test_malformed_bodies_are_a_400(shopper, garment, body):
    assert_json_error(post(shopper, body), 400, "bad_request")


def test_a_request_without_the_csrf_token_is_refused(garment, product):
    client = Client(enforce_csrf_checks=True)
    assert_json_error(post(client, {"events": [view(product)]}), 403, "csrf_failed")


def test_only_post(shopper):
    response = shopper.get(EVENTS_URL)
    assert response.status_code == 405 and response["Allow"] == "POST"


def test_too_large_a_body_is_a_413(shopper, garment, product):
    body = {"events": [view(product)], "padding": "x" * 40_000}
    assert_json_error(post(shopper, body), 413, "request_too_large")


def test_events_are_rate_limited_per_address(shopper, other_shopper, garment, product, settings):
    settings.TRYON = {**getattr(settings, "TRYON", {}), "EVENTS_RATE_LIMIT": "2/h"}
    assert post(shopper, {"events": [view(product)]}).status_code == 204
    assert post(other_shopper, {"events": [view(product)]}).status_code == 204
    ShopperEvent.objects.all().delete()
    response = post(shopper, {"events": [view(product)]})
    assert_json_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) > 0
