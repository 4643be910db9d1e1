"""Access ends with the session: a logout, a flush, its expiry or ``clearsessions``.

A shopper's jobs are opened by their browser session (and the owner cookie that vouches
for it on polls). Once that session is gone, replaying its old ``sessionid`` and
``tryon_owner`` cookies must open nothing: every endpoint answers the same 404 as for a
stranger, deletes nothing and serves no bytes, with every session engine.
"""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_tryon.models import Status, TryOnJob
from django_tryon.services.owners import OWNER_COOKIE
from tests.security.conftest import Browser
from tests.security.test_idor import endpoints, owned_job

pytestmark = pytest.mark.django_db

ENGINES = ["db", "cached_db", "cache", "file"]


@pytest.fixture(params=ENGINES)
def engine(request: Any, settings: Any, tmp_path: Any) -> str:
    settings.SESSION_ENGINE = f"django.contrib.sessions.backends.{request.param}"
    settings.SESSION_FILE_PATH = str(tmp_path)
    settings.TRYON = {**settings.TRYON, "RATE_LIMITS": {}}
    return request.param


def store(key: str | None = None) -> Any:
    return import_module(django_settings.SESSION_ENGINE).SessionStore(key)


def replay(browser: Browser) -> Browser:
    """Another client holding the cookies ``browser`` holds now (e.g. copied before a logout)."""
    copy = Browser()
    for name in (django_settings.SESSION_COOKIE_NAME, OWNER_COOKIE):
        copy.cookies[name] = browser.cookies[name].value
    return copy


def assert_opens_nothing(replayed: Browser, job: TryOnJob) -> None:
    for method, url in endpoints(job.token):
        response = getattr(replayed, method)(url)
        assert response.status_code == 404, (method, url, response.status_code)
        assert not getattr(response, "streaming", False)
    job.refresh_from_db()  # still there: the replayed DELETE deleted nothing
    assert job.result


def end_by_logout(browser: Browser, key: str) -> None:
    browser.logout()  # django.contrib.auth.logout: the session is flushed (deleted)


def end_by_delete(browser: Browser, key: str) -> None:
    store(key).delete()  # what flush() and a shop's "log out everywhere" do


def end_by_expiry(browser: Browser, key: str) -> None:
    if django_settings.SESSION_ENGINE.endswith((".db", ".cached_db")):
        from django.contrib.sessions.models import Session

        Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
        if django_settings.SESSION_ENGINE.endswith("cached_db"):
            from django.core.cache import caches

            caches[django_settings.SESSION_CACHE_ALIAS].clear()  # the cached copy expires too
    else:
        session = store(key)
        session.load()
        session.set_expiry(-1)  # cache and file sessions expire with their own timestamp
        session.save()


def end_by_clearsessions(browser: Browser, key: str) -> None:
    end_by_expiry(browser, key)
    call_command("clearsessions")


@pytest.mark.parametrize(
    "end",
    [end_by_logout, end_by_delete, end_by_expiry, end_by_clearsessions],
    ids=lambda f: f.__name__,
)
def test_old_cookies_open_nothing_once_the_session_is_gone(engine, garment, end):
    shopper = Browser()
    shopper.force_login(User.objects.create_user(f"shopper-{engine}", password="x"))
    job = owned_job(shopper, garment)
    assert shopper.get(f"/tryon/jobs/{job.token}/").status_code == 200
    replayed = replay(shopper)
    assert replayed.get(f"/tryon/jobs/{job.token}/result/").status_code == 200  # alive: opens
    end(shopper, shopper.cookies[django_settings.SESSION_COOKIE_NAME].value)
    assert_opens_nothing(replay(replayed), job)


def test_an_anonymous_session_ends_the_same_way(engine, garment):
    shopper = Browser()
    job = owned_job(shopper, garment)
    replayed = replay(shopper)
    end_by_delete(shopper, shopper.cookies[django_settings.SESSION_COOKIE_NAME].value)
    assert_opens_nothing(replayed, job)


def test_a_poll_still_costs_one_query_with_database_sessions(garment, settings):
    settings.TRYON = {**settings.TRYON, "RATE_LIMITS": {}}
    shopper = Browser()
    job = owned_job(shopper, garment)
    # What widgets poll: a job still running (once it offers its result, the product's
    # availability is asked too, once).
    TryOnJob.objects.filter(pk=job.pk).update(status=Status.RUNNING)
    url = f"/tryon/jobs/{job.token}/"
    shopper.get(url)  # warm caches (content types, URL resolver, the prepared query)
    with CaptureQueriesContext(connection) as queries:
        assert shopper.get(url).status_code == 200
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert "django_session" in queries[0]["sql"]  # the session's liveness, in the same query
