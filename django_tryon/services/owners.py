"""Who owns a shopper's jobs: the browser session that created them.

The session holds a random *owner secret*; a job stores only its hash. Widgets poll the
status every second, and reading the session on each poll is a query with database
sessions, so the API also hands the browser a signed *owner cookie*: it vouches for the
owner hash of one session, names that session by a digest of its key (with any other
session it is worthless, and a logout, which changes the key, ends it), and is only sent
to the API's job URLs. The session stays the authority: without a valid cookie, it is
read as before and the cookie is given again.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.crypto import constant_time_compare

OWNER_SESSION_KEY = "_tryon_owner"
OWNER_COOKIE = "tryon_owner"
_SALT = "django_tryon.owner-cookie"


def owner_of(secret: str) -> str:
    """What a job stores about its owner: a one-way hash of the session's secret."""
    return hashlib.sha256(b"django-tryon owner\x00" + secret.encode()).hexdigest()


def get_owner(request: HttpRequest, *, create: bool = False) -> str:
    """The owner hash of this session ("" if it has none and ``create`` is false).

    A new job (``create``) always asks the session, so that it is owned by what the
    session holds, not by a cookie that may outlive the session's data.
    """
    owner = "" if create else _vouched_owner(request)
    if owner:
        return owner
    secret = request.session.get(OWNER_SESSION_KEY)
    if not isinstance(secret, str) or not secret:
        if not create:
            return ""
        secret = secrets.token_urlsafe(32)
        request.session[OWNER_SESSION_KEY] = secret
    owner = owner_of(secret)
    request._tryon_owner = owner  # type: ignore[attr-defined]  # for set_owner_cookie()
    return owner


def set_owner_cookie(request: HttpRequest, response: HttpResponseBase) -> None:
    """Give the browser the owner cookie, if this request proved its owner by the session."""
    owner = getattr(request, "_tryon_owner", "")
    if not owner:
        return
    if request.session.session_key is None:
        request.session.save()  # a new session: its key is what the cookie names
    session_key = str(request.session.session_key)
    value = _signer().sign(f"{_session_digest(session_key)}:{owner}")
    response.set_cookie(
        OWNER_COOKIE,
        value,
        max_age=(
            None
            if request.session.get_expire_at_browser_close()
            else request.session.get_expiry_age()
        ),
        path=reverse("django_tryon:shopper-jobs"),
        domain=settings.SESSION_COOKIE_DOMAIN,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite=settings.SESSION_COOKIE_SAMESITE,
    )


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_SALT)


def _session_digest(session_key: str) -> str:
    # A digest, not the key: the cookie never carries what would let anyone take the session.
    return hashlib.sha256(b"django-tryon session\x00" + session_key.encode()).hexdigest()[:32]


def _vouched_owner(request: HttpRequest) -> str:
    value = request.COOKIES.get(OWNER_COOKIE)
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not value or not session_key:
        return ""
    try:
        vouched = _signer().unsign(value, max_age=settings.SESSION_COOKIE_AGE)
    except signing.BadSignature:
        return ""
    digest, _, owner = vouched.partition(":")
    return owner if constant_time_compare(digest, _session_digest(session_key)) else ""
