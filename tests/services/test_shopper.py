"""The shopper service: client addresses, limits, availability, stages, URLs."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import timezone
from django.utils.translation import override
from PIL import Image

from django_tryon import signals
from django_tryon.conf import DEFAULTS
from django_tryon.models import ShopperPhoto, Source, Status, TryOnJob
from django_tryon.services import session_jobs, shopper
from django_tryon.services.jobs import _request_tryon  # shopper plumbing: source, owner
from django_tryon.services.shopper import ShopperError
from tests.fixtures import make_image


def request_with_session(**meta):
    request = RequestFactory().get("/", **meta)
    request.session = SessionStore()
    return request


@pytest.fixture(autouse=True)
def _clear_cache():
    caches["default"].clear()
    yield
    caches["default"].clear()


def test_default_consent_text_is_marked_for_translation():
    assert DEFAULTS["CONSENT_TEXT"] == shopper.DEFAULT_CONSENT_TEXT


@pytest.mark.parametrize(
    ("header", "meta", "expected"),
    [
        (None, {"REMOTE_ADDR": "192.0.2.7"}, "192.0.2.7"),
        (None, {"REMOTE_ADDR": "192.0.2.7", "HTTP_X_FORWARDED_FOR": "1.1.1.1"}, "192.0.2.7"),
        ("X-Forwarded-For", {"HTTP_X_FORWARDED_FOR": "1.1.1.1, 198.51.100.4"}, "198.51.100.4"),
        ("HTTP_X_REAL_IP", {"HTTP_X_REAL_IP": "198.51.100.5"}, "198.51.100.5"),
        ("X-Forwarded-For", {"REMOTE_ADDR": "192.0.2.8"}, "192.0.2.8"),
        (None, {"REMOTE_ADDR": "2001:db8:a:b:c:d:e:f"}, "2001:db8:a:b::/64"),
        (None, {"REMOTE_ADDR": "not an address"}, "unknown"),
    ],
)
def test_client_ip(settings, header, meta, expected):
    settings.TRYON = {**settings.TRYON, "CLIENT_IP_HEADER": header}
    assert shopper.client_ip(RequestFactory().get("/", **meta)) == expected


@pytest.mark.django_db
def test_rate_limits_and_refund(settings):
    settings.TRYON = {**settings.TRYON, "RATE_LIMITS": {"SESSION": "2/h", "IP": "3/h"}}
    request = request_with_session()
    refund = shopper.take_rate_limits(request, "owner-a")
    refund()  # the first try is given back
    shopper.take_rate_limits(request, "owner-a")
    shopper.take_rate_limits(request, "owner-a")
    with pytest.raises(ShopperError) as refused:
        shopper.take_rate_limits(request, "owner-a")
    assert refused.value.code == "rate_limited" and refused.value.status == 429
    assert 0 < refused.value.retry_after <= 3600
    # The IP has seen 4 tries (refunds are per session only): another session is refused too.
    with pytest.raises(ShopperError):
        shopper.take_rate_limits(request, "owner-b")


@pytest.mark.django_db
def test_rate_limits_hold_whatever_the_cache(settings):
    """Counted in the database: a cache that keeps nothing doesn't lift them."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    settings.TRYON = {**settings.TRYON, "RATE_LIMITS": {"SESSION": "1/h"}}
    shopper.take_rate_limits(request_with_session(), "owner")
    with pytest.raises(ShopperError):
        shopper.take_rate_limits(request_with_session(), "owner")


@pytest.mark.django_db
def test_a_refusal_by_the_ip_limit_gives_the_session_hit_back(settings):
    settings.TRYON = {**settings.TRYON, "RATE_LIMITS": {"SESSION": "1/h", "IP": "1/h"}}
    shopper.take_rate_limits(request_with_session(), "owner-a")
    with pytest.raises(ShopperError):
        shopper.take_rate_limits(request_with_session(), "owner-b")  # the IP's second try
    settings.TRYON = {**settings.TRYON, "RATE_LIMITS": {"SESSION": "1/h"}}
    shopper.take_rate_limits(request_with_session(), "owner-b")  # its hit wasn't kept


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("refusal", "code"),
    [
        (ValidationError("Too dark.", code="photo_too_dark"), "photo_too_dark"),
        (Image.DecompressionBombError("too many pixels"), "not_an_image"),
        (ValueError("cannot write mode P as JPEG"), "not_an_image"),
    ],
)
def test_an_input_refused_inside_rate_limited_gives_the_session_hit_back(settings, refusal, code):
    settings.TRYON = {**settings.TRYON, "RATE_LIMITS": {"SESSION": "1/h"}}
    request = request_with_session()
    with pytest.raises(ShopperError) as refused, shopper.rate_limited(request, "owner"):
        raise refusal
    assert refused.value.code == code
    with shopper.rate_limited(request, "owner"):  # the hit was given back: one try left
        pass
    with pytest.raises(ShopperError) as limited, shopper.rate_limited(request, "owner"):
        pass
    assert limited.value.code == "rate_limited"


def test_a_refusal_leaving_refusals_announced_is_sent_and_raised_again():
    request = request_with_session()
    sent = []

    def receiver(sender, **kwargs):
        sent.append((kwargs["request"], kwargs["code"]))

    signals.shopper_request_refused.connect(receiver)
    try:
        with pytest.raises(ShopperError), shopper.refusals_announced(request):
            raise ShopperError("garment_not_found")
        with shopper.refusals_announced(request):
            pass  # nothing refused, nothing sent
    finally:
        signals.shopper_request_refused.disconnect(receiver)
    assert sent == [(request, "garment_not_found")]


def test_product_availability_by_duck_typing():
    available = shopper.product_is_available
    assert available(SimpleNamespace())
    assert not available(None)
    assert not available(SimpleNamespace(is_published=False))
    assert not available(SimpleNamespace(is_active=False))
    assert not available(SimpleNamespace(available=False))
    assert available(SimpleNamespace(is_active="yes"))  # not a flag
    assert available(SimpleNamespace(is_published=False, tryon_available=lambda: True))
    assert not available(SimpleNamespace(tryon_available=False))


@pytest.mark.django_db
def test_stages_and_payload_without_queries(garment, django_assert_num_queries, settings):
    job = _request_tryon(garment, make_image(), source=Source.SHOPPER, owner="o")
    now = timezone.now()
    with django_assert_num_queries(0):
        assert shopper.stage_of(job) == "queued"
        job.status, job.submitted_at = Status.RUNNING, now
        assert shopper.stage_of(job, now) == "generating"
        # The sandbox's typical latency (LATENCY 0 in tests: at least 1 s) has passed.
        assert shopper.stage_of(job, now + timedelta(seconds=2)) == "almost_done"
        job.result_ready_at = now
        assert shopper.stage_of(job, now) == "almost_done"
        payload = shopper.status_payload(job)
    assert payload["stage"] == "almost_done" and payload["poll_after"] == 700
    assert payload["url"] == f"/tryon/jobs/{job.token}/"


def test_failure_messages_for_shoppers():
    with override("en"):
        assert "person" in shopper.failure_message("no_person")
        assert "isn't available right now" in shopper.failure_message("provider_paused")
        generic = shopper.failure_message("auth_failed")
    assert "credentials" not in generic and "went wrong" in generic
    with override("de"):
        assert "schiefgegangen" in shopper.failure_message("auth_failed")


class FakeStorage:
    def __init__(self, url):
        self._url = url

    def url(self, name, parameters=None):
        return self._url


@pytest.mark.parametrize(
    ("url", "signed"),
    [
        ("/media/tryon/results/x.jpg", False),
        ("https://cdn.example.com/tryon/results/x.jpg", False),
        ("https://b.s3.amazonaws.com/x.jpg?X-Amz-Algorithm=AWS4&X-Amz-Signature=ab", True),
        ("https://storage.googleapis.com/b/x.jpg?X-Goog-Signature=ab&X-Goog-Expires=60", True),
        ("https://a.blob.core.windows.net/c/x.jpg?se=2026&sp=r&sig=ab", True),
    ],
)
def test_signed_urls_are_recognised(monkeypatch, url, signed):
    monkeypatch.setattr(shopper, "private_storage", lambda: FakeStorage(url))
    assert (shopper.signed_result_url("x.jpg") == url) is signed


@pytest.mark.django_db
def test_session_jobs_for_add_to_cart_attribution(garment, product):
    from tests.shop.models import Product

    request = request_with_session()
    owner = shopper.owners.new_owner(request)
    shopper.owners.keep_owner(request)
    assert not session_jobs(request_with_session()).exists()
    job = _request_tryon(garment, make_image(), source=Source.SHOPPER, owner=owner)
    _request_tryon(
        garment, make_image(color=(1, 1, 1)), source=Source.SHOPPER, owner="someone else"
    )
    assert list(session_jobs(request)) == [job]
    assert list(session_jobs(request, product)) == [job]
    assert not session_jobs(request, Product.objects.create(name="Other")).exists()


@pytest.mark.django_db
def test_expired_summary(garment):
    job = _request_tryon(garment, make_image(), source=Source.SHOPPER, owner="o")
    assert shopper.expired_summary() == (0, 0)
    past = timezone.now() - timedelta(seconds=1)
    TryOnJob.objects.filter(pk=job.pk).update(expires_at=past)
    assert shopper.expired_summary() == (1, 0)  # the visit's photo outlives the job
    ShopperPhoto.objects.filter(pk=job.shopper_photo_id).update(expires_at=past)
    assert shopper.expired_summary() == (1, 1)
