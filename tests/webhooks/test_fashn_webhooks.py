"""FASHN callbacks: unsigned, so a callback only makes the pipeline poll now; its body is
never the result. The alias's WEBHOOK_TOKEN, carried in the callback URL, keeps strangers
from even doing that."""

from __future__ import annotations

import json
import time

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


def post(client, body: dict, token: str | None = TOKEN):
    url = URL if token is None else f"{URL}?token={token}"
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_the_url_and_the_webhook_url_sent_with_each_run(fa, running):
    assert reverse("django_tryon:fashn_webhook", args=["fashn"]) == URL
    [run] = [r for r in fa.requests if r.route == "create"]
    assert run.query["webhook_url"] == [f"https://shop.test{URL}?token={TOKEN}"]


def test_a_callback_makes_the_job_poll_now_and_the_status_decides(
    client, fa, running, run_tasks, django_capture_on_commit_callbacks
):
    fa.set_status(running.provider_job_id, "completed")
    forged = {"id": running.provider_job_id, "status": "completed",
              "output": ["https://evil.test/not-ours.png"]}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, forged)
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
        post(client, {"id": running.provider_job_id, "status": "completed", "output": ["x"]})
    run_tasks()
    running.refresh_from_db()
    assert running.status == Status.RUNNING and not running.result


@pytest.mark.parametrize(("token", "reason"), [(None, "bad_token"), ("guess", "bad_token")])
def test_a_callback_without_the_token_is_refused(client, running, token, reason):
    response = post(client, {"id": running.provider_job_id}, token=token)
    assert response.status_code == 400 and response.json()["error"] == reason
    assert queued_functions() == []


def test_malformed_and_unknown_callbacks(client, running):
    response = client.post(f"{URL}?token={TOKEN}", data=b"{", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"] == "malformed"
    assert post(client, {"id": "someone-elses"}).json() == {"ok": True, "ignored": True}


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
    assert callback.status_code == 200 and callback.url == f"{url}?token={TOKEN}"
