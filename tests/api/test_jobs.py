"""Status, result, cancel and delete: owner only, few queries, fitting cache headers."""

from __future__ import annotations

import pytest
import requests
from django.conf import settings
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_tryon import signals
from django_tryon.models import Garment, Status, TryOnJob
from django_tryon.services.owners import OWNER_COOKIE
from django_tryon.storage import private_storage
from tests.api.conftest import Shopper, shopper_files
from tests.fixtures import make_image

pytestmark = pytest.mark.django_db


@pytest.fixture
def created(shopper, garment, photo):
    return shopper.upload(garment, photo).json()


@pytest.fixture
def finished(created, drive, shopper):
    drive()
    body = shopper.get(created["url"]).json()
    assert body["status"] == "succeeded", body
    return body


def test_status_while_queued(shopper, created):
    response = shopper.get(created["url"])
    assert response.status_code == 200
    body = response.json()
    assert body["stage"] == "queued" and body["poll_after"] == 1000
    assert body["result_url"] is None and body["error"] is None
    cache_control = response["Cache-Control"]
    assert (
        "private" in cache_control and "no-cache" in cache_control and "max-age=0" in cache_control
    )
    assert "Cookie" in response["Vary"]


def test_status_stages(shopper, created, settings):
    from datetime import timedelta

    from django.utils import timezone

    job = TryOnJob.objects.get(token=created["token"])
    now = timezone.now()
    TryOnJob.objects.filter(pk=job.pk).update(status=Status.RUNNING, submitted_at=now)
    settings.TRYON = {
        **settings.TRYON,
        "PROVIDERS": {
            "sandbox": {"BACKEND": "django_tryon.providers.sandbox.SandboxProvider", "LATENCY": 30}
        },
    }
    assert shopper.get(created["url"]).json()["stage"] == "generating"
    TryOnJob.objects.filter(pk=job.pk).update(submitted_at=now - timedelta(seconds=31))
    assert shopper.get(created["url"]).json()["stage"] == "almost_done"
    TryOnJob.objects.filter(pk=job.pk).update(submitted_at=now, result_ready_at=now)
    body = shopper.get(created["url"]).json()
    assert body["stage"] == "almost_done" and body["poll_after"] == 700


def test_a_poll_reads_only_the_job_thanks_to_the_owner_cookie(shopper, created):
    TryOnJob.objects.filter(token=created["token"]).update(status=Status.RUNNING)
    shopper.get(created["url"])  # warm caches (content types, URL resolver)
    assert OWNER_COOKIE in shopper.cookies  # given with the job's creation
    with CaptureQueriesContext(connection) as queries:
        response = shopper.get(created["url"])
    assert response.status_code == 200
    assert len(queries) == 1, [q["sql"] for q in queries]


def test_without_the_owner_cookie_a_poll_reads_the_session_too_and_gets_it_again(shopper, created):
    TryOnJob.objects.filter(token=created["token"]).update(status=Status.RUNNING)
    del shopper.cookies[OWNER_COOKIE]
    with CaptureQueriesContext(connection) as queries:
        response = shopper.get(created["url"])
    assert response.status_code == 200 and OWNER_COOKIE in response.cookies
    assert len(queries) <= 2, [q["sql"] for q in queries]


def test_an_owner_cookie_copied_into_another_browser_opens_nothing(
    shopper, other_shopper, finished, garment, photo
):
    assert other_shopper.upload(garment, photo).status_code == 201  # a session of its own
    assert settings.SESSION_COOKIE_NAME in other_shopper.cookies
    other_shopper.cookies[OWNER_COOKIE] = shopper.cookies[OWNER_COOKIE].value
    for url in (finished["url"], finished["result_url"]):
        assert other_shopper.get(url).status_code == 404


def test_status_of_finished_job(shopper, finished):
    assert finished["stage"] == "succeeded" and finished["poll_after"] is None
    assert finished["result_url"].endswith("/result/")
    assert finished["download_url"].endswith("/result/?download=1")
    response = shopper.get(finished["url"])
    assert "private" in response["Cache-Control"] and "max-age=60" in response["Cache-Control"]


def test_result_is_streamed_to_its_owner_only(shopper, other_shopper, finished):
    response = shopper.get(finished["result_url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith("inline")

    for url in (finished["url"], finished["result_url"], finished["download_url"]):
        other = other_shopper.get(url)
        assert other.status_code == 404 and other.json()["code"] == "not_found"
        anonymous = Shopper().get(url)  # no session at all
        assert anonymous.status_code == 404


def test_download_is_an_attachment_and_fires_a_signal(shopper, finished):
    seen = []

    def receiver(sender, job, request, **kwargs):
        seen.append(job.token)

    signals.shopper_result_downloaded.connect(receiver)
    try:
        response = shopper.get(finished["download_url"])
    finally:
        signals.shopper_result_downloaded.disconnect(receiver)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert seen == [finished["token"]]


def test_result_before_it_exists_is_404(shopper, created):
    assert shopper.get(created["url"] + "result/").status_code == 404


def test_malformed_tokens_are_404(shopper, created):
    for token in ("x", "a" * 40, "../../etc", "%00"):
        response = shopper.get(f"/tryon/jobs/{token}/")
        assert response.status_code == 404


def test_delete_removes_job_and_files(shopper, other_shopper, finished):
    job = TryOnJob.objects.get(token=finished["token"])
    names = [job.person_file.name, job.result.name]
    assert all(private_storage().exists(n) for n in names)

    assert other_shopper.delete(finished["url"]).status_code == 404
    assert TryOnJob.objects.filter(pk=job.pk).exists()

    seen = []

    def receiver(sender, job, request, **kwargs):
        seen.append(job.token)

    signals.shopper_job_deleted.connect(receiver)
    try:
        response = shopper.delete(finished["url"])
    finally:
        signals.shopper_job_deleted.disconnect(receiver)
    assert response.status_code == 204
    assert not TryOnJob.objects.filter(pk=job.pk).exists()
    assert not any(private_storage().exists(n) for n in names)
    assert shopper_files() == []
    assert seen == [finished["token"]]
    assert shopper.get(finished["url"]).status_code == 404
    assert shopper.delete(finished["url"]).status_code == 404


def test_delete_needs_csrf(shopper, finished):
    response = shopper.delete(finished["url"], HTTP_X_CSRFTOKEN="")
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
    assert TryOnJob.objects.filter(token=finished["token"]).exists()


def test_delete_while_running_cancels_it(shopper, created):
    assert shopper.delete(created["url"]).status_code == 204
    assert not TryOnJob.objects.exists()


def test_cancel(shopper, other_shopper, created):
    cancel_url = created["cancel_url"]
    assert other_shopper.post(cancel_url).status_code == 404
    response = shopper.post(cancel_url)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "canceled" and body["error"]["code"] == "canceled"
    assert body["error"]["message"]
    # Canceling again is harmless.
    assert shopper.post(cancel_url).json()["status"] == "canceled"


def test_cancel_by_beacon_with_form_token(shopper, created):
    # navigator.sendBeacon can't set headers: the token comes as a form field.
    response = shopper.post(
        created["cancel_url"], {"csrfmiddlewaretoken": shopper.csrf}, HTTP_X_CSRFTOKEN=""
    )
    assert response.status_code == 200 and response.json()["status"] == "canceled"


def test_failed_job_has_a_shopper_message(shopper, product, photo, drive):
    garment = Garment(
        product=product, name="Shirt", category="upper_body", description="[sandbox:no_person]"
    )
    garment.image.save("g.png", ContentFile(make_image((400, 400), "PNG", person=False)), save=True)
    created = shopper.upload(garment, photo).json()
    drive()
    body = shopper.get(created["url"]).json()
    assert body["status"] == "failed"
    assert body["error"]["code"] == "no_person"
    assert "person" in body["error"]["message"]


def test_unexpected_provider_failures_get_a_generic_message(shopper, created):
    TryOnJob.objects.filter(token=created["token"]).update(
        status=Status.FAILED,
        error_code="insufficient_credits",
        error_message="The try-on account has run out of credits.",
    )
    body = shopper.get(created["url"]).json()
    assert body["error"]["code"] == "insufficient_credits"
    assert "credits" not in body["error"]["message"]


def test_methods(shopper, created):
    assert shopper.put(created["url"]).status_code == 405
    assert shopper.get(created["cancel_url"]).status_code == 405
    assert shopper.post(created["url"] + "result/").status_code == 405


def test_result_on_s3_is_a_signed_redirect(s3_storage, shopper, garment, photo, drive):
    caches["default"].clear()
    created = shopper.upload(garment, photo).json()
    drive()
    body = shopper.get(created["url"]).json()
    response = shopper.get(body["result_url"])
    assert response.status_code == 302
    location = response["Location"]
    assert "X-Amz-Signature=" in location and "X-Amz-Expires=300" in location
    assert "no-store" in response["Cache-Control"]
    fetched = requests.get(location, timeout=10)
    assert fetched.status_code == 200 and fetched.content[:3] == b"\xff\xd8\xff"
    # Unsigned, the object is private.
    assert requests.get(location.split("?")[0], timeout=10).status_code == 403

    download = shopper.get(body["download_url"])
    assert download.status_code == 302
    assert (
        "attachment"
        in requests.get(download["Location"], timeout=10).headers["Content-Disposition"]
    )
    assert other_status(body) == 404


def other_status(body):
    return Shopper().get(body["result_url"]).status_code


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ""),
        ("get", "result/"),
        ("get", "result/?download=1"),
        ("post", "cancel/"),
        ("delete", ""),
    ],
    ids=["status", "result", "download", "cancel", "delete"],
)
def test_an_expired_job_is_gone_before_the_cleanup_runs(shopper, finished, method, path):
    from datetime import timedelta

    from django.utils import timezone

    assert shopper.get(finished["url"]).status_code == 200
    TryOnJob.objects.filter(token=finished["token"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = getattr(shopper, method)(finished["url"] + path)
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_an_expired_job_is_not_among_the_sessions_jobs(rf, shopper, finished):

    from django.utils import timezone

    from django_tryon.services import session_jobs

    request = rf.get("/")
    request.session = shopper.session
    assert session_jobs(request).count() == 1
    TryOnJob.objects.filter(token=finished["token"]).update(expires_at=timezone.now())
    assert session_jobs(request).count() == 0


def test_an_unpublished_products_try_on_is_not_shown_but_can_be_deleted(shopper, finished, garment):
    garment.product.is_published = False
    garment.product.save()
    for url in (finished["url"], finished["result_url"], finished["download_url"]):
        response = shopper.get(url)
        assert response.status_code == 404 and response.json()["code"] == "garment_unavailable"
    # Stopping and erasing one's own data is always allowed.
    assert shopper.post(finished["cancel_url"]).status_code == 200
    assert shopper.delete(finished["url"]).status_code == 204
    assert not TryOnJob.objects.filter(token=finished["token"]).exists()


def test_a_deactivated_garments_result_is_not_shown(shopper, finished, garment):
    Garment.objects.filter(pk=garment.pk).update(is_active=False)
    assert shopper.get(finished["result_url"]).json()["code"] == "garment_unavailable"


def test_the_last_poll_asks_whether_the_product_is_still_available(shopper, finished, created):
    shopper.get(created["url"])  # warm caches
    with CaptureQueriesContext(connection) as queries:
        assert shopper.get(created["url"]).status_code == 200
    assert len(queries) <= 3, [q["sql"] for q in queries]  # the job, its garment, the product
