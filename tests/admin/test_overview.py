"""The overview: charts as inline SVG, the queue, paused aliases and resuming them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from django_tryon.models import Garment, ProviderState, Status, TryOnJob
from django_tryon.services import generate
from tests.providers.support import fa_alias, mh_alias

from .support import pause, queries

OVERVIEW = "/admin/django_tryon/tryonjob/overview/"
RESUME = "/admin/django_tryon/tryonjob/overview/resume/"


@pytest.fixture
def history(shop, drive):
    garments = list(Garment.objects.order_by("pk"))
    generate(garments[:2], [shop["alex"]], "sandbox")
    drive()
    generate(garments[:2], [shop["alex"]], "premium")
    drive()
    # Older work, days ago, and one job still queued today.
    old = TryOnJob.objects.filter(provider="premium").first()
    TryOnJob.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=3), status=Status.FAILED
    )
    generate(garments[2:], [shop["alex"]], "sandbox")


def test_overview_draws_both_charts(admin_client, history):
    response = admin_client.get(OVERVIEW)
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count('<svg class="tryon-chart__svg"') == 2
    assert 'class="tryon-fill--succeeded"' in content
    assert 'class="tryon-fill--failed"' in content
    jobs_chart = response.context["jobs_chart"]
    assert len(jobs_chart.bars) == 30
    assert jobs_chart.bars[-1].total == 4  # today: 3 succeeded + 1 queued
    assert jobs_chart.bars[-4].total == 1  # three days ago: the failed one
    credits = {item.key: item.total for item in response.context["credits_chart"].legend}
    assert credits == {"sandbox": 2, "premium": 25 + 25}
    assert "<script" not in content.split('<div id="content-main">')[1]  # no chart library


def test_overview_lists_the_queue(admin_client, history):
    response = admin_client.get(OVERVIEW)
    assert response.context["queue_total"] == 1
    assert response.context["queue_by_alias"] == {"sandbox": {"pending": 1, "running": 0}}
    assert "The queue: 1 try-on waiting or running" in response.content.decode()


def test_overview_with_nothing_yet(admin_client, db):
    response = admin_client.get(OVERVIEW)
    assert response.status_code == 200
    assert "Nothing yet in this period." in response.content.decode()


def test_paused_aliases_with_the_reason_and_resuming_them(admin_client, history):
    pause("premium", "The try-on service refused our credentials.")
    content = admin_client.get(OVERVIEW).content.decode()
    assert "Paused providers" in content
    assert "The try-on service refused our credentials." in content
    response = admin_client.post(RESUME, {"alias": "premium"}, follow=True)
    assert "premium takes jobs again" in response.content.decode()
    assert not ProviderState.objects.filter(paused_at__isnull=False).exists()


def test_resume_refuses_unknown_aliases_and_gets(admin_client, history):
    response = admin_client.post(RESUME, {"alias": "nosuch"}, follow=True)
    assert "Unknown try-on provider" in response.content.decode()
    assert admin_client.get(RESUME).status_code == 405


def test_overview_query_count_does_not_grow(admin_client, history, shop):
    small = queries(lambda: admin_client.get(OVERVIEW))
    generate(list(Garment.objects.all()), [shop["sam"]], "premium")
    generate(list(Garment.objects.all()), [shop["sam"]], "sandbox")
    assert queries(lambda: admin_client.get(OVERVIEW)) == small


def test_permissions(staff_client, history):
    pause("premium")
    outsider = staff_client("catalog.view_product")
    assert outsider.get(OVERVIEW).status_code == 403
    assert outsider.post(RESUME, {"alias": "premium"}).status_code == 403

    viewer = staff_client("django_tryon.view_tryonjob")
    content = viewer.get(OVERVIEW).content.decode()
    assert "Paused providers" in content and "Resume premium" not in content
    assert viewer.post(RESUME, {"alias": "premium"}).status_code == 403
    assert ProviderState.objects.get(alias="premium").is_paused

    resumer = staff_client("django_tryon.view_tryonjob", "django_tryon.change_providerstate")
    assert "Resume premium" in resumer.get(OVERVIEW).content.decode()
    resumer.post(RESUME, {"alias": "premium"})
    assert not ProviderState.objects.get(alias="premium").is_paused


# Finding the overview ----------------------------------------------------------------------

ENTRY = "/admin/django_tryon/tryonoverview/"


@pytest.mark.parametrize("index", ["/admin/", "/admin/django_tryon/"])
def test_the_admin_indexes_link_to_the_overview(staff_client, index):
    page = staff_client("django_tryon.view_tryonjob").get(index).content.decode()
    assert f'href="{ENTRY}"' in page and "Try-on overview" in page


def test_the_entry_forwards_to_the_overview_and_offers_nothing_else(staff_client):
    client = staff_client("django_tryon.view_tryonjob")
    response = client.get(ENTRY)
    assert response.status_code == 302 and response["Location"] == OVERVIEW
    assert client.get(f"{ENTRY}add/").status_code == 404


def test_staff_who_may_not_see_jobs_get_no_entry(staff_client):
    client = staff_client("django_tryon.view_garment")
    assert f'href="{ENTRY}"' not in client.get("/admin/").content.decode()
    assert client.get(ENTRY).status_code == 403


def test_overview_shows_the_credits_left_of_accounts_that_can_tell(
    admin_client, shop, settings, magichour_emulator, fashn_emulator
):
    magichour_emulator.credits, magichour_emulator.tier = 1975, "pro"
    fashn_emulator.balance = 42
    settings.TRYON = {
        **settings.TRYON,
        "PROVIDERS": {
            **settings.TRYON["PROVIDERS"],
            "magichour": mh_alias(magichour_emulator),
            "fashn": fa_alias(fashn_emulator),
            "down": fa_alias(fashn_emulator, BASE_URL="http://127.0.0.1:9"),
        },
    }
    cache.clear()
    response = admin_client.get(OVERVIEW)
    lines = {line.alias: line for line in response.context["accounts"]}
    assert set(lines) == {"magichour", "fashn", "down"}  # the sandbox can't tell: left out
    assert (lines["magichour"].credits_left, lines["magichour"].plan) == (1975, "pro")
    assert lines["fashn"].credits_left == 42
    assert lines["down"].credits_left is None and "could not reach" in lines["down"].problem
    content = response.content.decode()
    assert "Provider accounts" in content and "1975" in content
    # Cached: a second visit asks no provider again.
    asked = len(magichour_emulator.requests)
    admin_client.get(OVERVIEW)
    assert len(magichour_emulator.requests) == asked


def test_the_entry_has_no_object_pages(admin_client, history):
    job = TryOnJob.objects.first()
    for suffix in ("add/", f"{job.pk}/change/", f"{job.pk}/history/", f"{job.pk}/delete/"):
        assert admin_client.get(f"{ENTRY}{suffix}").status_code == 404
