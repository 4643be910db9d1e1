"""Rate limits per session and per IP (from settings, in Django's cache), and the daily budget."""

from __future__ import annotations

import pytest
from django_q.models import OrmQ

from django_tryon.models import TryOnJob
from django_tryon.services import credits_committed_today
from tests.api import badfiles
from tests.api.conftest import Shopper, shopper_files
from tests.fixtures import decoders_busy, make_image

pytestmark = pytest.mark.django_db


def photo(n: int) -> bytes:
    """Distinct photos, so no job is reused for free from an earlier one."""
    return make_image((640, 800), color=(n * 7 % 255, 100, 120))


@pytest.fixture
def limits(settings):
    def set_limits(**values):
        settings.TRYON = {**settings.TRYON, **values}

    return set_limits


def test_session_limit(shopper, garment, limits):
    limits(RATE_LIMITS={"SESSION": "2/h", "IP": "100/h"})
    assert shopper.upload(garment, photo(1)).status_code == 201
    assert shopper.upload(garment, photo(2)).status_code == 201
    refused = shopper.upload(garment, photo(3))
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "rate_limited" and "try again" in body["message"]
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert TryOnJob.objects.count() == 2
    # Another session from the same address still may.
    assert Shopper().upload(garment, photo(4)).status_code == 201


def test_ip_limit_across_sessions(garment, limits):
    limits(RATE_LIMITS={"IP": "2/m"})
    assert Shopper().upload(garment, photo(1)).status_code == 201
    assert Shopper().upload(garment, photo(2)).status_code == 201
    refused = Shopper().upload(garment, photo(3))
    assert refused.status_code == 429 and int(refused["Retry-After"]) <= 60
    other_address = Shopper(REMOTE_ADDR="10.1.2.3").upload(garment, photo(4))
    assert other_address.status_code == 201


def test_ip_behind_a_trusted_proxy(garment, limits):
    limits(RATE_LIMITS={"IP": "1/h"}, CLIENT_IP_HEADER="X-Forwarded-For")
    first = Shopper(HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.1")
    assert first.upload(garment, photo(1)).status_code == 201
    # A different claimed client but the same address added by the proxy: same bucket.
    spoofed = Shopper(HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.1")
    assert spoofed.upload(garment, photo(2)).status_code == 429
    assert Shopper(HTTP_X_FORWARDED_FOR="198.51.100.2").upload(garment, photo(3)).status_code == 201


def test_ipv6_clients_share_their_64(garment, limits):
    limits(RATE_LIMITS={"IP": "1/h"})
    assert Shopper(REMOTE_ADDR="2001:db8:1:2::10").upload(garment, photo(1)).status_code == 201
    assert Shopper(REMOTE_ADDR="2001:db8:1:2::99").upload(garment, photo(2)).status_code == 429
    assert Shopper(REMOTE_ADDR="2001:db8:1:3::10").upload(garment, photo(3)).status_code == 201


def test_bad_photos_dont_use_up_the_session_limit(shopper, garment, limits):
    limits(RATE_LIMITS={"SESSION": "1/h", "IP": "100/h"})
    for _ in range(3):
        assert shopper.upload(garment, badfiles.tiny_photo()).status_code == 400
    assert shopper.upload(garment, photo(1)).status_code == 201
    assert shopper.upload(garment, photo(2)).status_code == 429


def test_bad_photos_count_against_the_ip(garment, limits):
    limits(RATE_LIMITS={"IP": "2/h"})
    assert Shopper().upload(garment, badfiles.TEXT).status_code == 400
    assert Shopper().upload(garment, badfiles.TEXT).status_code == 400
    assert Shopper().upload(garment, photo(1)).status_code == 429


def test_limits_can_be_off(shopper, garment, limits):
    limits(RATE_LIMITS={})
    for n in range(12):
        assert shopper.upload(garment, photo(n)).status_code == 201


def test_limited_requests_store_and_spend_nothing(shopper, garment, limits):
    limits(RATE_LIMITS={"SESSION": "1/h"})
    shopper.upload(garment, photo(1))
    files, queued, credits = shopper_files(), OrmQ.objects.count(), credits_committed_today()
    assert shopper.upload(garment, photo(2)).status_code == 429
    assert (shopper_files(), OrmQ.objects.count(), credits_committed_today()) == (
        files,
        queued,
        credits,
    )


def test_daily_shopper_budget(shopper, garment, limits):
    limits(SHOPPER_DAILY_CREDIT_BUDGET=2)
    assert shopper.upload(garment, photo(1)).status_code == 201
    assert shopper.upload(garment, photo(2)).status_code == 201
    files = shopper_files()
    refused = shopper.upload(garment, photo(3))
    assert refused.status_code == 429
    assert refused.json()["code"] == "budget_exceeded"
    assert "tomorrow" in refused.json()["message"]
    assert TryOnJob.objects.count() == 2 and shopper_files() == files
    assert credits_committed_today() == 2


def test_budget_refusal_gives_the_session_its_try_back(shopper, garment, limits):
    limits(SHOPPER_DAILY_CREDIT_BUDGET=0, RATE_LIMITS={"SESSION": "1/h", "IP": "100/h"})
    assert shopper.upload(garment, photo(1)).json()["code"] == "budget_exceeded"
    limits(SHOPPER_DAILY_CREDIT_BUDGET=None, RATE_LIMITS={"SESSION": "1/h", "IP": "100/h"})
    assert shopper.upload(garment, photo(1)).status_code == 201


def test_refused_creates_leave_no_session_and_set_no_cookie(garment, limits):
    from django.contrib.sessions.models import Session

    limits(RATE_LIMITS={"IP": "1/h"})
    assert Shopper().upload(garment, photo(0)).status_code == 201
    sessions = Session.objects.count()
    for n in range(20):
        refused = Shopper().upload(garment, photo(n + 1))  # fresh browsers, one address
        assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
        assert not refused.cookies, refused.cookies  # no sessionid, no tryon_owner
    assert Session.objects.count() == sessions


def test_a_budget_refusal_leaves_no_session_either(garment, limits):
    from django.contrib.sessions.models import Session

    limits(SHOPPER_DAILY_CREDIT_BUDGET=0)
    refused = Shopper().upload(garment, photo(1))
    assert refused.json()["code"] == "budget_exceeded" and not refused.cookies
    assert not Session.objects.exists()


def test_a_photo_that_finds_no_decode_thread_is_answered_busy(shopper, garment, limits):
    limits(MAX_CONCURRENT_DECODES=1, DECODE_WAIT=0.2)
    with decoders_busy():
        busy = shopper.upload(garment, photo(1))
    assert busy.status_code == 503 and busy.json()["code"] == "server_busy"
    assert int(busy["Retry-After"]) > 0 and not TryOnJob.objects.exists()
    assert shopper.upload(garment, photo(1)).status_code == 201  # one slot is enough
