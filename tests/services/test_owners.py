"""Ownership: the session's owner secret, and the signed cookie that vouches for it on polls."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from django_tryon.services import owners

pytestmark = pytest.mark.django_db


def request_with_session(session=None, cookies=None):
    request = RequestFactory().get("/")
    request.session = session or SessionStore()
    request.COOKIES.update(cookies or {})
    return request


def cookies_after(request):
    """What the browser holds after the API answered ``request`` (its own session's key too)."""
    response = HttpResponse()
    owners.set_owner_cookie(request, response)
    jar = {settings.SESSION_COOKIE_NAME: request.session.session_key}
    jar.update({name: morsel.value for name, morsel in response.cookies.items()})
    return jar, response


def test_the_owner_is_a_hash_of_a_session_secret():
    request = request_with_session()
    assert owners.get_owner(request) == ""
    owner = owners.get_owner(request, create=True)
    secret = request.session[owners.OWNER_SESSION_KEY]
    assert len(secret) >= 43  # 256 random bits
    assert owner == owners.owner_of(secret) and len(owner) == 64 and secret not in owner
    assert owners.get_owner(request, create=True) == owner  # stable per session
    assert owners.get_owner(request_with_session(), create=True) != owner


def test_the_owner_cookie_spares_the_session_on_later_requests():
    first = request_with_session()
    owner = owners.get_owner(first, create=True)
    jar, response = cookies_after(first)
    cookie = response.cookies[owners.OWNER_COOKIE]
    assert cookie["httponly"] and cookie["path"] == "/tryon/jobs/"
    assert cookie["samesite"] == settings.SESSION_COOKIE_SAMESITE
    secret = first.session[owners.OWNER_SESSION_KEY]
    assert secret not in cookie.value and first.session.session_key not in cookie.value

    later = request_with_session(SessionStore(first.session.session_key), jar)
    with CaptureQueriesContext(connection) as queries:
        assert owners.get_owner(later) == owner
    assert len(queries) == 0 and not later.session.accessed
    assert owners.OWNER_COOKIE not in cookies_after(later)[1].cookies  # nothing to give again


def test_the_owner_cookie_is_worthless_with_another_session():
    first = request_with_session()
    owners.get_owner(first, create=True)
    jar, _ = cookies_after(first)
    stranger = SessionStore()
    stranger.save()
    jar[settings.SESSION_COOKIE_NAME] = stranger.session_key  # the cookie, copied elsewhere
    assert owners.get_owner(request_with_session(stranger, jar)) == ""


def test_a_logout_ends_the_owner_cookie():
    first = request_with_session()
    owners.get_owner(first, create=True)
    jar, _ = cookies_after(first)
    first.session.flush()  # what django.contrib.auth.logout does: a new, empty session
    first.session.save()
    jar[settings.SESSION_COOKIE_NAME] = first.session.session_key
    assert owners.get_owner(request_with_session(first.session, jar)) == ""


def test_a_new_session_key_after_login_keeps_the_owner_and_renews_the_cookie():
    first = request_with_session()
    owner = owners.get_owner(first, create=True)
    jar, _ = cookies_after(first)
    first.session.cycle_key()  # what django.contrib.auth.login does: same data, new key
    jar[settings.SESSION_COOKIE_NAME] = first.session.session_key
    renewed = request_with_session(first.session, jar)
    assert owners.get_owner(renewed) == owner  # read from the session again
    jar, _ = cookies_after(renewed)
    later = request_with_session(SessionStore(first.session.session_key), jar)
    assert owners.get_owner(later) == owner and not later.session.accessed


@pytest.mark.parametrize(
    "tamper",
    [
        lambda value: value[:-1] + ("A" if value[-1] != "A" else "B"),  # signature
        lambda value: "0" * 32 + value[32:],  # the session it names
        lambda value: value.replace(":", ";", 1),  # the layout
        lambda value: "",
    ],
)
def test_a_forged_owner_cookie_is_ignored(tamper):
    first = request_with_session()
    owners.get_owner(first, create=True)
    jar, _ = cookies_after(first)
    jar[owners.OWNER_COOKIE] = tamper(jar[owners.OWNER_COOKIE])
    assert owners.get_owner(request_with_session(SessionStore(), jar)) == ""


def test_an_owner_cookie_older_than_the_session_age_is_ignored(settings):
    first = request_with_session()
    owners.get_owner(first, create=True)
    jar, _ = cookies_after(first)
    settings.SESSION_COOKIE_AGE = -1
    later = request_with_session(SessionStore(), jar)
    assert owners.get_owner(later) == ""


def test_a_new_job_is_owned_by_what_the_session_holds_not_by_the_cookie():
    first = request_with_session()
    owner = owners.get_owner(first, create=True)
    jar, _ = cookies_after(first)
    first.session.clear()  # the session's data is gone, its key and the cookie remain
    later = request_with_session(first.session, jar)
    assert owners.get_owner(later) == owner  # polls of existing jobs still work...
    fresh_owner = owners.get_owner(later, create=True)
    assert fresh_owner != owner  # ...but a new job gets an owner the session holds
    assert owners.owner_of(later.session[owners.OWNER_SESSION_KEY]) == fresh_owner
