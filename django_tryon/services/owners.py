"""Who owns a shopper's jobs: the browser session that created them.

The session holds a random *owner secret*; a job stores only its hash. The session is the
authority, and only a live one opens anything: after a logout, a flush, its expiry or
``clearsessions``, replaying its old cookies opens nothing.

Widgets poll the status every second, and reading the session on each poll is a query of
its own with database sessions, so the API also hands the browser a signed *owner cookie*:
it vouches for the owner hash of one session, names that session by a digest of its key
(with any other session it is worthless) and is only sent to the API's job URLs. It proves
*whose* session it was, never that the session is still alive: the status query checks
that in the same SQL statement (``live_session_clause``). Where that can't be done (a
session engine that doesn't keep sessions in a table), the session is read instead.

A new owner secret is kept in the session only once a job was created with it
(``new_owner`` then ``keep_owner``), so a refused request creates no session.
"""

from __future__ import annotations

import hashlib
import secrets
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core import signing
from django.db import connections, router
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

OWNER_SESSION_KEY = "_tryon_owner"
OWNER_COOKIE = "tryon_owner"
_SALT = "django_tryon.owner-cookie"
# Set on the request: the owner to give a cookie for, and a secret not yet in the session.
_OWNER_ATTR = "_tryon_owner"
_PENDING_ATTR = "_tryon_pending_owner"


def owner_of(secret: str) -> str:
    """What a job stores about its owner: a one-way hash of the session's secret."""
    return hashlib.sha256(b"django-tryon owner\x00" + secret.encode()).hexdigest()


def get_owner(request: HttpRequest) -> str:
    """The owner hash this request's session holds ("" when it holds none).

    Reads the session: its store answers for a live session only (a deleted or expired
    one reads as empty).
    """
    secret = request.session.get(OWNER_SESSION_KEY)
    if not isinstance(secret, str) or not secret:
        return ""
    owner = owner_of(secret)
    setattr(request, _OWNER_ATTR, owner)  # proved by the session: set_owner_cookie() may vouch
    return owner


def new_owner(request: HttpRequest) -> str:
    """The owner of a job about to be created: the session's, or a new one.

    A new secret stays on the request until ``keep_owner``: a request refused before its
    job exists (rate limit, budget, a bad photo) leaves no session behind.
    """
    owner = get_owner(request)
    if owner:
        return owner
    secret = getattr(request, _PENDING_ATTR, None) or secrets.token_urlsafe(32)
    setattr(request, _PENDING_ATTR, secret)
    return owner_of(secret)


def keep_owner(request: HttpRequest) -> None:
    """Store the secret ``new_owner`` made in the session, now that a job has it."""
    secret = getattr(request, _PENDING_ATTR, None)
    if secret:
        request.session[OWNER_SESSION_KEY] = secret
        setattr(request, _OWNER_ATTR, owner_of(secret))
        delattr(request, _PENDING_ATTR)


def set_owner_cookie(request: HttpRequest, response: HttpResponseBase) -> None:
    """Give the browser the owner cookie, if this request proved its owner by the session."""
    owner = getattr(request, _OWNER_ATTR, "")
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


def cookie_owner(request: HttpRequest) -> tuple[str, str]:
    """(owner, session key) the owner cookie vouches for, or ("", "").

    Not proof that the session is alive: whoever uses it checks that too.
    """
    value = request.COOKIES.get(OWNER_COOKIE)
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not value or not session_key:
        return "", ""
    try:
        vouched = _signer().unsign(value, max_age=settings.SESSION_COOKIE_AGE)
    except signing.BadSignature:
        return "", ""
    digest, _, owner = vouched.partition(":")
    if not owner or not constant_time_compare(digest, _session_digest(session_key)):
        return "", ""
    return owner, session_key


def live_session_clause(alias: str) -> tuple[str, Any] | None:
    """SQL that is true while a session key names a live session, on database ``alias``.

    ``("EXISTS (...)", make_params)``: ``make_params(session_key)`` gives its parameters.
    None when sessions aren't rows of a table on that database (cache or signed-cookie
    sessions, or a router that puts them elsewhere): then the session is read instead.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not issubclass(store, DatabaseSessionStore):
        return None
    model = store.get_model_class()
    if router.db_for_read(model) != alias:
        return None
    connection = connections[alias]
    quote = connection.ops.quote_name
    columns = {f.name: str(f.column) for f in model._meta.concrete_fields}
    # Only quoted names from the model's meta go into the text; values are parameters.
    sql = (
        f"EXISTS (SELECT 1 FROM {quote(model._meta.db_table)} "  # noqa: S608
        f"WHERE {quote(columns['session_key'])} = %s AND {quote(columns['expire_date'])} > %s)"
    )

    def params(session_key: str) -> list[Any]:
        return [session_key, connection.ops.adapt_datetimefield_value(timezone.now())]

    return sql, params


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_SALT)


def _session_digest(session_key: str) -> str:
    # A digest, not the key: the cookie never carries what would let anyone take the session.
    return hashlib.sha256(b"django-tryon session\x00" + session_key.encode()).hexdigest()[:32]
