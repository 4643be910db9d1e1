"""The per-session rate limit holds exactly under a burst, against a real server.

One shopper (one browser session, one address) sends 32 creates at the same moment
through gunicorn (4 processes x 8 threads, each thread its own database connection),
whose storage takes 0.3 s per save, with ``RATE_LIMITS`` ``{"SESSION": "5/h"}`` and the
test settings' local-memory cache. Exactly 5 are accepted; the 27 others get
``rate_limited`` with a Retry-After, and the session's window row says 5 hits. When the
limits were counted in ``TRYON["CACHE"]``, each process counted its own: 12 accepted.
"""

from __future__ import annotations

import secrets
import threading
from importlib import import_module

import pytest
import requests
from django.conf import settings as django_settings
from django.middleware.csrf import _get_new_csrf_string

from django_tryon import rate_limits
from django_tryon.models import RateWindow, TryOnJob
from django_tryon.services.owners import OWNER_SESSION_KEY, owner_of
from tests.fixtures import create_garment, make_image
from tests.reliability.figures import record
from tests.server import at_once

LIMIT, CREATES = 5, 32


def one_session() -> tuple[str, str]:
    """A live session that already holds an owner: (its cookie value, the owner)."""
    store = import_module(django_settings.SESSION_ENGINE).SessionStore()
    secret = secrets.token_urlsafe(32)
    store[OWNER_SESSION_KEY] = secret
    store.save()
    return store.session_key, owner_of(secret)


@pytest.mark.django_db(transaction=True)
def test_the_session_limit_holds_under_a_burst(web_server, product):
    garment = create_garment(product)
    garment.image_sha256()  # stored on the row: the server needn't read the garment's file
    base = web_server(
        save_delay=0.3,
        workers=4,
        threads=8,
        tryon={
            "RATE_LIMITS": {"SESSION": f"{LIMIT}/h", "IP": "1000/h"},
            "PROVIDERS": {
                "sandbox": {
                    "BACKEND": "django_tryon.providers.sandbox.SandboxProvider",
                    "LATENCY": 600,
                }
            },
        },
    )
    session_key, owner = one_session()
    csrf = _get_new_csrf_string()

    def create(n: int, gate: threading.Barrier) -> requests.Response:
        browser = requests.Session()  # one browser's cookies, one connection per request
        browser.cookies.set(django_settings.SESSION_COOKIE_NAME, session_key)
        browser.cookies.set("csrftoken", csrf)
        photo = make_image((640, 800), color=(n * 7 % 255, 90 + n, 120))  # distinct: no reuse
        gate.wait()
        return browser.post(
            f"{base}/tryon/jobs/",
            data={"garment": garment.pk, "consent": "1"},
            files={"photo": ("me.jpg", photo, "image/jpeg")},
            headers={"X-CSRFToken": csrf},
            timeout=120,
        )

    answers = at_once(CREATES, create)

    codes = sorted(r.json()["code"] if r.status_code != 201 else "created" for r in answers)
    accepted = codes.count("created")
    record("rate_limit_burst", creates=CREATES, accepted=accepted, limit=LIMIT)
    assert len(answers) == CREATES
    assert accepted == LIMIT, codes
    assert codes.count("rate_limited") == CREATES - LIMIT, codes
    refused = [r for r in answers if r.status_code == 429]
    assert all(0 < int(r.headers["Retry-After"]) <= 3600 for r in refused)
    window = RateWindow.objects.get(scope="SESSION", key=rate_limits.key_of(owner))
    assert window.hits == LIMIT
    assert TryOnJob.objects.filter(owner=owner).count() == LIMIT
