"""Ownership: the session's owner secret, and the signed cookie that vouches for it on polls."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory

from django_tryon.services import owners

pytestmark = pytest.mark.django_db


def request_with_session(session=None, cookies=None):
    request = RequestFactory().get("/")
    request.session = session or SessionStore()
    request.COOKIES.update(cookies or {})
    return request


def owned_session():
    """A request whose session owns jobs: (request, owner)."""
    request = request_with_session()
    owner = owners.new_owner(request)
    owners.keep_owner(request)
    return request, owner


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
    owner = owners.new_owner(request)
    assert owners.get_owner(request) == ""  # not in the session until a job has it
    owners.keep_owner(request)
    secret = request.session[owners.OWNER_SESSION_KEY]
    assert len(secret) >= 43  # 256 random bits
    assert owner == owners.owner_of(secret) and len(owner) == 64 and secret not in owner
    assert owners.get_owner(request) == owners.new_owner(request) == owner  # stable per session
    assert owners.new_owner(request_with_session()) != owner


def test_a_new_owner_leaves_no_session_until_it_is_kept():
    request = request_with_session()
    owner = owners.new_owner(request)
    assert owners.new_owner(request) == owner  # the same one within the request
    response = HttpResponse()
    owners.set_owner_cookie(request, response)
    assert not request.session.modified and request.session.session_key is None
    assert owners.OWNER_COOKIE not in response.cookies


def test_the_owner_cookie_names_the_owner_and_the_session():
    first, owner = owned_session()
    jar, response = cookies_after(first)
    cookie = response.cookies[owners.OWNER_COOKIE]
    assert cookie["httponly"] and cookie["path"] == "/tryon/jobs/"
    assert cookie["samesite"] == settings.SESSION_COOKIE_SAMESITE
    secret = first.session[owners.OWNER_SESSION_KEY]
    assert secret not in cookie.value and first.session.session_key not in cookie.value
    later = request_with_session(SessionStore(first.session.session_key), jar)
    assert owners.cookie_owner(later) == (owner, first.session.session_key)
    assert not later.session.accessed  # the cookie is read without the session


def test_the_owner_cookie_is_worthless_with_another_session():
    first, _ = owned_session()
    jar, _ = cookies_after(first)
    stranger = SessionStore()
    stranger.save()
    jar[settings.SESSION_COOKIE_NAME] = stranger.session_key  # the cookie, copied elsewhere
    assert owners.cookie_owner(request_with_session(stranger, jar)) == ("", "")


def test_a_new_session_key_after_login_keeps_the_owner():
    first, owner = owned_session()
    jar, _ = cookies_after(first)
    first.session.cycle_key()  # what django.contrib.auth.login does: same data, new key
    jar[settings.SESSION_COOKIE_NAME] = first.session.session_key
    renewed = request_with_session(first.session, jar)
    assert owners.cookie_owner(renewed) == ("", "")  # the old cookie names the old key...
    assert owners.get_owner(renewed) == owner  # ...the session still holds the owner
    jar, _ = cookies_after(renewed)
    later = request_with_session(SessionStore(first.session.session_key), jar)
    assert owners.cookie_owner(later) == (owner, first.session.session_key)


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
    first, _ = owned_session()
    jar, _ = cookies_after(first)
    jar[owners.OWNER_COOKIE] = tamper(jar[owners.OWNER_COOKIE])
    assert owners.cookie_owner(request_with_session(SessionStore(), jar)) == ("", "")


def test_an_owner_cookie_older_than_the_session_age_is_ignored(settings):
    first, _ = owned_session()
    jar, _ = cookies_after(first)
    settings.SESSION_COOKIE_AGE = -1
    assert owners.cookie_owner(request_with_session(SessionStore(), jar)) == ("", "")


def test_a_deleted_or_expired_session_holds_no_owner():
    first, owner = owned_session()
    first.session.save()
    key = first.session.session_key
    assert owners.get_owner(request_with_session(SessionStore(key))) == owner
    SessionStore(key).delete()  # logout, flush, clearsessions
    assert owners.get_owner(request_with_session(SessionStore(key))) == ""


def test_sessions_in_a_table_can_be_checked_in_the_status_query(settings):
    assert owners.live_session_clause("default") is not None
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    assert owners.live_session_clause("default") is not None
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    assert owners.live_session_clause("default") is None
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    assert owners.live_session_clause("default") is None
