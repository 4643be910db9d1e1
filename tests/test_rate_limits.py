"""The shopper rate limits: one row per scope, client and fixed window, taken by a
conditional UPDATE. The concurrent case, against a real server, is
tests/reliability/test_rate_limit_burst.py.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command

from django_tryon import rate_limits
from django_tryon.models import RateWindow
from django_tryon.tasks import cleanup

pytestmark = pytest.mark.django_db

HOUR = (3, 3600)
NOON = datetime.datetime(2026, 12, 6, 12, 0, tzinfo=datetime.UTC).timestamp()


def test_a_limit_allows_exactly_its_count_and_refused_hits_count_nothing():
    results = [rate_limits.hit("SESSION", "owner", HOUR, now=NOON + n).allowed for n in range(6)]
    assert results == [True, True, True, False, False, False]
    window = RateWindow.objects.get()
    assert (window.scope, window.hits) == ("SESSION", 3)
    assert window.window_start == datetime.datetime(2026, 12, 6, 12, 0, tzinfo=datetime.UTC)


def test_the_table_holds_a_hash_not_the_client():
    rate_limits.hit("IP", "203.0.113.7", HOUR, now=NOON)
    assert RateWindow.objects.get().key == rate_limits.key_of("203.0.113.7") != "203.0.113.7"


def test_clients_and_scopes_count_apart():
    for scope, ident in [("SESSION", "a"), ("SESSION", "b"), ("IP", "a")]:
        assert all(rate_limits.hit(scope, ident, HOUR, now=NOON).allowed for _ in range(3))
    assert RateWindow.objects.count() == 3


def test_retry_after_is_what_is_left_of_the_window():
    refused = [rate_limits.hit("SESSION", "o", (1, 3600), now=NOON + 600) for _ in range(2)][-1]
    assert not refused.allowed and refused.retry_after == 3000


def test_a_refund_gives_one_hit_back_and_never_goes_below_zero():
    first = rate_limits.hit("SESSION", "o", HOUR, now=NOON)
    first.give_back()
    first.give_back()  # a second refund of the same hit finds nothing to give back
    assert RateWindow.objects.get().hits == 0
    assert all(rate_limits.hit("SESSION", "o", HOUR, now=NOON).allowed for _ in range(3))
    refused = rate_limits.hit("SESSION", "o", HOUR, now=NOON)
    refused.give_back()  # a refused hit took nothing: it gives nothing back
    assert RateWindow.objects.get().hits == 3


def test_a_new_window_starts_from_zero():
    for _ in range(3):
        rate_limits.hit("SESSION", "o", HOUR, now=NOON + 3599)
    assert not rate_limits.hit("SESSION", "o", HOUR, now=NOON + 3599).allowed
    assert rate_limits.hit("SESSION", "o", HOUR, now=NOON + 3600).allowed
    assert sorted(RateWindow.objects.values_list("hits", flat=True)) == [1, 3]


def test_a_zero_limit_refuses_everything():
    assert not rate_limits.hit("SESSION", "o", (0, 3600), now=NOON).allowed
    assert not RateWindow.objects.exists()


def _windows_at(*hours_ago: int) -> None:
    now = datetime.datetime.now(datetime.UTC)
    for hours in hours_ago:
        rate_limits.hit(
            "SESSION", f"o{hours}", HOUR, now=(now - datetime.timedelta(hours=hours)).timestamp()
        )


def test_the_cleanup_deletes_windows_older_than_the_longest_period():
    _windows_at(0, 23, 26, 50)
    cleanup()  # the hourly task
    assert sorted(RateWindow.objects.values_list("key", flat=True)) == sorted(
        rate_limits.key_of(f"o{hours}") for hours in (0, 23)
    )


def test_the_cleanup_command_deletes_them_too():
    _windows_at(1, 30)
    call_command("tryon_cleanup")
    assert list(RateWindow.objects.values_list("key", flat=True)) == [rate_limits.key_of("o1")]
