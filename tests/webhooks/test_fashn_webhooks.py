"""FASHN callbacks: unsigned, so a callback only makes the pipeline poll now; its body is
never the result. A token in the callback URL (an HMAC of the job's reference with the
alias's WEBHOOK_TOKEN, never the secret itself) keeps strangers from even doing that."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from django_tryon.models import Status
from django_tryon.pipeline import advance
from django_tryon.services import request_tryon
from django_tryon.testing.queue import queued_functions
from tests.providers.support import set_alias_options

URL = "/tryon/webhooks/fashn/fashn/"
TOKEN = "fa-callback-token"


@pytest.fixture
def running(fa, settings, garment, model_photo):
    """A job at FASHN whose prediction stays running until the test moves it."""
    set_alias_options(settings, "fashn", WEBHOOK_URL=f"https://shop.test{URL}", WEBHOOK_TOKEN=TOKEN)
    fa.latency = 3600
    job = request_tryon(garment, model_photo)
    advance(job.pk)
    job.refresh_from_db()
    assert job.status == Status.RUNNING and job.provider_job_id
    return job


def callback_query(fa) -> str:
    """The query of the webhook_url the job's run named, as FASHN would call it back."""
    [run] = [r for r in fa.requests if r.route == "create"]
    return urlsplit(run.query["webhook_url"][0]).query


def post(client, body: dict, query: str | None = ""):
    url = URL if not query else f"{URL}?{query}"
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_the_url_and_the_webhook_url_sent_with_each_run(fa, running):
    assert reverse("django_tryon:fashn_webhook", args=["fashn"]) == URL
    [run] = [r for r in fa.requests if r.route == "create"]
    [webhook_url] = run.query["webhook_url"]
    assert webhook_url.startswith(f"https://shop.test{URL}?")
    query = parse_qs(urlsplit(webhook_url).query)
    reference = f"django-tryon job {running.pk}"
    assert query["ref"] == [reference]
    expected = hmac.new(TOKEN.encode(), reference.encode(), hashlib.sha256).hexdigest()[:32]
    assert query["token"] == [expected] and TOKEN not in webhook_url  # never the secret


def test_a_callback_makes_the_job_poll_now_and_the_status_decides(
    client, fa, running, run_tasks, django_capture_on_commit_callbacks
):
    fa.set_status(running.provider_job_id, "completed")
    forged = {"id": running.provider_job_id, "status": "completed",
              "output": ["https://evil.test/not-ours.png"]}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, forged, callback_query(fa))
    assert response.status_code == 200 and response.json() == {"ok": True, "ignored": False}
    assert queued_functions() == ["django_tryon.tasks.advance_job"]
    run_tasks()
    running.refresh_from_db()
    assert running.status == Status.SUCCEEDED and running.result
    downloads = [r.path for r in fa.requests if r.route == "download"]
    assert downloads == [f"/_cdn/{running.provider_job_id}/0.png"]  # FASHN's, not the body's


def test_a_callback_claiming_success_for_a_running_job_changes_nothing(
    client, fa, running, run_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        body = {"id": running.provider_job_id, "status": "completed", "output": ["x"]}
        post(client, body, callback_query(fa))
    run_tasks()
    running.refresh_from_db()
    assert running.status == Status.RUNNING and not running.result


@pytest.mark.parametrize(
    "query",
    ["", f"token={TOKEN}", "ref=django-tryon+job+1&token=guess", "ref=&token="],
)
def test_a_callback_without_a_valid_token_is_refused(client, running, query):
    response = post(client, {"id": running.provider_job_id}, query)
    assert response.status_code == 400 and response.json()["error"] == "bad_token"
    assert queued_functions() == []


def test_malformed_and_unknown_callbacks(client, fa, running):
    query = callback_query(fa)
    response = client.post(f"{URL}?{query}", data=b"{", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"] == "malformed"
    assert post(client, {"id": "someone-elses"}, query).json() == {"ok": True, "ignored": True}


def test_callbacks_are_refused_when_the_alias_has_no_webhook_url(client, fa):
    response = post(client, {"id": "anything"})
    assert response.status_code == 400 and response.json()["error"] == "webhooks_not_configured"


def test_the_emulator_calls_back_when_the_prediction_ends(
    fa, live_server, settings, garment, model_photo
):
    url = f"{live_server.url}{URL}"
    set_alias_options(settings, "fashn", WEBHOOK_URL=url, WEBHOOK_TOKEN=TOKEN)
    fa.latency = 0.3
    job = request_tryon(garment, model_photo)
    advance(job.pk)
    job.refresh_from_db()
    assert job.status == Status.RUNNING
    deadline = time.monotonic() + 10
    while not fa.callbacks_sent and time.monotonic() < deadline:
        time.sleep(0.05)
    [callback] = fa.callbacks_sent
    assert callback.status_code == 200 and callback.url.startswith(f"{url}?ref=")
