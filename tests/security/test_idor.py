"""IDOR: a shopper's job, by its token, is reachable from its own session only.

Each probe takes a job created through the API by one browser session and tries every
shopper endpoint with its token from somewhere else: another anonymous session, a
logged-in user (the same or another), a staff user, a client without any session, and
with tokens that are guesses or tricks. Every one must be the same 404 as a token that
doesn't exist (no oracle), change nothing, and serve no bytes.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from django_tryon.models import Source, Status, TryOnJob
from django_tryon.services.jobs import _request_tryon  # shopper plumbing: source, owner
from tests.fixtures import make_image
from tests.reliability.figures import record
from tests.security.conftest import Browser

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_sandbox(settings: Any) -> None:
    settings.TRYON = {**settings.TRYON, "RATE_LIMITS": {}}


def owned_job(browser: Browser, garment: Any, *, finish: bool = True) -> TryOnJob:
    response = browser.upload(garment, make_image((640, 800)))
    assert response.status_code == 201, response.content
    job = TryOnJob.objects.get(token=response.json()["token"])
    if finish:
        from django_tryon.testing.queue import drive_pipeline

        drive_pipeline(timeout=5)
        job.refresh_from_db()
        assert job.status == Status.SUCCEEDED and job.result
    return job


def endpoints(token: str) -> list[tuple[str, str]]:
    return [
        ("get", f"/tryon/jobs/{token}/"),
        ("head", f"/tryon/jobs/{token}/"),
        ("get", f"/tryon/jobs/{token}/result/"),
        ("get", f"/tryon/jobs/{token}/result/?download=1"),
        ("post", f"/tryon/jobs/{token}/cancel/"),
        ("delete", f"/tryon/jobs/{token}/"),
    ]


def intruders() -> dict[str, Any]:
    def logged_in(name: str, **flags: Any) -> Browser:
        user = User.objects.create_user(name, password="x", **flags)
        browser = Browser()
        browser.force_login(user)
        return browser

    return {
        "another session": Browser(),
        "a logged-in user": logged_in("mallory"),
        "a staff user": logged_in("staffer", is_staff=True),
        "a superuser": logged_in("root", is_staff=True, is_superuser=True),
        "no session at all": Browser(),
    }


def probe(client: Any, token: str) -> list[tuple[str, int]]:
    seen = []
    for method, url in endpoints(token):
        response = getattr(client, method)(url)
        seen.append((f"{method.upper()} {url}", response.status_code))
        if method != "head":
            assert b"\x89PNG" not in response.content and b"\xff\xd8\xff" not in response.content
    return seen


def test_another_owner_gets_the_same_404_as_a_missing_token(shopper_browser, garment):
    job = owned_job(shopper_browser, garment)
    missing = probe(Browser(), "A" * 22)
    expected = [(label.replace("A" * 22, job.token), status) for label, status in missing]
    assert {status for _, status in missing} == {404}
    probes = 0
    for who, intruder in intruders().items():
        if who == "no session at all":
            intruder.cookies.clear()  # not even a CSRF cookie: unsafe methods fail CSRF first
        seen = probe(intruder, job.token)
        for (label, status), (_, want) in zip(seen, expected, strict=True):
            allowed = {want, 403} if label.split()[0] in ("POST", "DELETE") else {want}
            assert status in allowed, (who, label, status)
            probes += 1
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED and job.result  # nothing canceled or deleted
    # ...and the owner still has it all.
    assert shopper_browser.get(f"/tryon/jobs/{job.token}/").status_code == 200
    assert shopper_browser.get(f"/tryon/jobs/{job.token}/result/").status_code == 200
    record("security_probes", idor=probes)


def test_the_same_user_in_another_session_is_another_owner(garment):
    """Ownership is the browser session's, not the account's: a phone and a shared PC."""
    user = User.objects.create_user("alice", password="x")
    first, second = Browser(), Browser()
    first.force_login(user)
    second.force_login(user)
    job = owned_job(first, garment, finish=False)
    assert {status for _, status in probe(second, job.token)} <= {403, 404}
    assert TryOnJob.objects.filter(pk=job.pk).exists()
    record("security_probes", idor=len(endpoints(job.token)))


@pytest.mark.parametrize(
    "token",
    [
        "%",
        "_" * 22,
        "%25%25%25%25%25%25%25%25%25%25%25",
        "' OR '1'='1",
        "..%2f..%2fadmin",
        "A" * 5000,
        "\u0000" * 22,
    ],
)
def test_guesses_and_tricks_find_nothing(shopper_browser, garment, token):
    job = owned_job(shopper_browser, garment, finish=False)
    from urllib.parse import quote

    attacker = Browser()
    for method, url in endpoints(quote(token, safe="")):
        response = getattr(attacker, method)(url)
        assert response.status_code in (403, 404), (url, response.status_code)
    # The owner's own token with another case is not the token either.
    for variant in {job.token.upper(), job.token.lower(), job.token[:-1]} - {job.token}:
        assert shopper_browser.get(f"/tryon/jobs/{variant}/").status_code == 404
    assert TryOnJob.objects.filter(pk=job.pk).exists()
    record("security_probes", idor=len(endpoints(token)) + 3)


def test_merchant_jobs_are_not_reachable_through_the_shopper_api(
    shopper_browser, garment, model_photo, settings
):
    """An admin job (a merchant's model photo) has a token too: not a shopper's to use."""
    job = _request_tryon(garment, model_photo, source=Source.ADMIN)
    from django_tryon.testing.queue import drive_pipeline

    drive_pipeline(timeout=5)
    owned_job(shopper_browser, garment, finish=False)  # the session owns *a* job
    assert {status for _, status in probe(shopper_browser, job.token)} <= {403, 404}
    # Nor through the public gallery while it isn't featured.
    assert shopper_browser.get(f"/tryon/gallery/{job.token}/320.jpg").status_code == 404
    record("security_probes", idor=len(endpoints(job.token)) + 1)


def test_a_shopper_job_is_never_public_even_if_flagged_featured(shopper_browser, garment):
    job = owned_job(shopper_browser, garment)
    TryOnJob.objects.filter(pk=job.pk).update(is_featured=True)  # by a bug or a bad script
    response = Browser().get(f"/tryon/gallery/{job.token}/320.jpg")
    assert response.status_code == 404
    record("security_probes", idor=1)
