"""Magic Hour webhooks: signed events shortcut polling; anything unproven changes nothing."""

from __future__ import annotations

import json
import time

import pytest
from django.urls import reverse

from django_tryon.models import Status, TryOnJob
from django_tryon.pipeline import advance
from django_tryon.services import request_tryon
from django_tryon.testing.queue import queued_functions
from tests.providers.support import WEBHOOK_SECRET, mh_alias, set_alias_options, sign, tryon

URL = "/tryon/webhooks/magichour/magichour/"


@pytest.fixture
def running(mh, garment, model_photo):
    """A job submitted to Magic Hour whose project stays queued until an event moves it."""
    mh.latency = 3600
    job = request_tryon(garment, model_photo)
    advance(job.pk)
    job.refresh_from_db()
    assert job.status == Status.RUNNING and job.provider_job_id
    return job


def post(client, body: bytes, headers: dict[str, str], url: str = URL):
    return client.post(url, data=body, content_type="application/json", headers=headers)


def deliver(
    client, mh, job, event="image.completed", *, secret=WEBHOOK_SECRET, timestamp=None, url=URL
):
    body, headers = mh.webhook_request(
        event, job.provider_job_id, secret=secret, timestamp=timestamp
    )
    return post(client, body, headers, url)


def test_the_documented_url():
    assert reverse("django_tryon:magichour_webhook", args=["magichour"]) == URL
    assert (
        reverse("django_tryon:provider_webhook", args=["magichour"]) == "/tryon/webhooks/magichour/"
    )


@pytest.mark.parametrize("url", [URL, "/tryon/webhooks/magichour/"])
def test_a_completed_event_advances_the_job_at_once(
    client, mh, running, run_tasks, django_capture_on_commit_callbacks, url
):
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, mh, running, url=url)
    assert response.status_code == 200
    assert response.json() == {"ok": True, "ignored": False}
    assert queued_functions() == ["django_tryon.tasks.advance_job"]
    run_tasks()
    running.refresh_from_db()
    assert running.status == Status.SUCCEEDED
    assert running.result


def test_an_errored_event_fails_the_job_with_plain_words(
    client, mh, running, run_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, mh, running, "image.errored").status_code == 200
    run_tasks()
    running.refresh_from_db()
    assert (running.status, running.error_code) == (Status.FAILED, "no_person")


def test_a_started_event_is_accepted_and_the_job_keeps_running(
    client, mh, running, run_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, mh, running, "image.started").status_code == 200
    run_tasks()
    running.refresh_from_db()
    assert running.status == Status.RUNNING


def unchanged(job):
    before = TryOnJob.objects.filter(pk=job.pk).values().get()
    return lambda: TryOnJob.objects.filter(pk=job.pk).values().get() == before


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(
            lambda body, h: (body, {**h, "magic-hour-event-signature": "0" * 64}),
            id="bad-signature",
        ),
        pytest.param(
            lambda body, h: (body.replace(b"complete", b"completE"), h), id="tampered-body"
        ),
        pytest.param(lambda body, h: (body, {}), id="unsigned"),
        pytest.param(
            lambda body, h: (body, {"magic-hour-event-timestamp": h["magic-hour-event-timestamp"]}),
            id="no-signature",
        ),
        pytest.param(
            lambda body, h: (body, {"magic-hour-event-signature": h["magic-hour-event-signature"]}),
            id="no-timestamp",
        ),
        pytest.param(
            lambda body, h: (body, {**h, "magic-hour-event-timestamp": "12ab"}), id="bad-timestamp"
        ),
        pytest.param(
            lambda body, h: (body, {**h, "magic-hour-event-signature": "é" * 64}), id="non-ascii"
        ),
    ],
)
def test_forged_or_unsigned_requests_get_400_and_change_nothing(
    client, mh, running, django_capture_on_commit_callbacks, forge
):
    body, headers = mh.webhook_request(
        "image.completed", running.provider_job_id, secret=WEBHOOK_SECRET
    )
    same = unchanged(running)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(client, *forge(body, headers))
    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert callbacks == [] and queued_functions() == []
    assert same()


def test_a_wrong_secret_gets_400(client, mh, running):
    response = deliver(client, mh, running, secret="not-the-secret")
    assert (response.status_code, response.json()["error"]) == (400, "bad_signature")


@pytest.mark.parametrize("skew", [-301, 301])
def test_stale_or_future_timestamps_get_400(client, mh, running, skew):
    response = deliver(client, mh, running, timestamp=int(time.time()) + skew)
    assert (response.status_code, response.json()["error"]) == (400, "stale")


def test_the_tolerance_is_five_minutes(client, mh, running):
    assert (
        deliver(client, mh, running, "image.started", timestamp=int(time.time()) - 290).status_code
        == 200
    )


def test_a_replay_within_the_tolerance_is_harmless(
    client, mh, running, run_tasks, django_capture_on_commit_callbacks
):
    body, headers = mh.webhook_request(
        "image.completed", running.provider_job_id, secret=WEBHOOK_SECRET
    )
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            assert post(client, body, headers).status_code == 200
        run_tasks()
    running.refresh_from_db()
    assert running.status == Status.SUCCEEDED
    assert [r.route for r in mh.requests].count("download") == 1  # stored once
    result = running.result.name
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, body, headers).status_code == 200  # a late duplicate
    run_tasks()
    running.refresh_from_db()
    assert running.result.name == result


def test_a_replay_after_the_tolerance_gets_400(client, mh, running):
    body, _ = mh.webhook_request("image.completed", running.provider_job_id, secret=WEBHOOK_SECRET)
    old = int(time.time()) - 3600
    response = post(client, body, sign(body, timestamp=old))  # validly signed an hour ago
    assert (response.status_code, response.json()["error"]) == (400, "stale")


def test_an_unknown_project_is_acknowledged_and_ignored(
    client, mh, db, django_capture_on_commit_callbacks
):
    body = json.dumps(
        {"type": "image.completed", "payload": {"id": "cnotours", "status": "complete"}}
    ).encode()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(client, body, sign(body))
    assert response.status_code == 200
    assert response.json() == {"ok": True, "ignored": True}
    assert callbacks == []


def test_other_event_types_are_acknowledged_and_ignored(client, mh, running):
    body = json.dumps(
        {"type": "video.completed", "payload": {"id": running.provider_job_id}}
    ).encode()
    response = post(client, body, sign(body))
    assert response.json() == {"ok": True, "ignored": True}


def test_a_signed_body_that_is_not_json_gets_400(client, mh, db):
    body = b"<html>not json</html>"
    response = post(client, body, sign(body))
    assert (response.status_code, response.json()["error"]) == (400, "malformed")


def test_an_alias_without_a_secret_refuses_webhooks(client, mh, settings, running):
    set_alias_options(settings, "magichour", WEBHOOK_SECRET="")
    response = deliver(client, mh, running)
    assert (response.status_code, response.json()["error"]) == (400, "webhooks_not_configured")


def test_an_alias_whose_provider_sends_no_webhooks_gets_400(client, db, settings):
    body = b"{}"
    response = post(client, body, sign(body), url="/tryon/webhooks/sandbox/")
    assert (response.status_code, response.json()["error"]) == (400, "webhooks_unsupported")


def test_unknown_aliases_are_404_and_only_post_is_allowed(client, mh, db):
    assert post(client, b"{}", {}, url="/tryon/webhooks/magichour/nope/").status_code == 404
    assert client.get(URL).status_code == 405


def test_webhooks_need_no_csrf_token(mh, running):
    from django.test import Client

    body, headers = mh.webhook_request(
        "image.started", running.provider_job_id, secret=WEBHOOK_SECRET
    )
    assert post(Client(enforce_csrf_checks=True), body, headers).status_code == 200


def test_each_alias_checks_its_own_secret(
    client, magichour_emulator, settings, garment, model_photo
):
    settings.TRYON = tryon(
        {
            "magichour": mh_alias(magichour_emulator),
            "magichour_b": mh_alias(magichour_emulator, WEBHOOK_SECRET="other-secret"),
        },
        "magichour",
    )
    magichour_emulator.latency = 3600
    job = request_tryon(garment, model_photo, provider="magichour_b")
    advance(job.pk)
    job.refresh_from_db()
    url = "/tryon/webhooks/magichour/magichour_b/"
    assert deliver(client, magichour_emulator, job, "image.started", url=url).status_code == 400
    response = deliver(
        client, magichour_emulator, job, "image.started", secret="other-secret", url=url
    )
    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_emulator_sends_signed_events_to_a_live_server(
    live_server, magichour_emulator, settings, garment, model_photo, run_tasks
):
    """End to end: Magic Hour (emulated) calls our endpoint over HTTP when the project ends."""
    settings.TRYON = tryon(
        {"magichour": mh_alias(magichour_emulator, FIRST_POLL_AFTER=3600)}, "magichour"
    )
    magichour_emulator.webhook_url = live_server.url + URL
    magichour_emulator.webhook_secret = WEBHOOK_SECRET
    magichour_emulator.latency = 0.3
    job = request_tryon(garment, model_photo)
    run_tasks()  # submits; the first poll is an hour away, so only the webhook can finish it
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(
        sent.event_type == "image.completed" for sent in magichour_emulator.webhooks_sent
    ):
        time.sleep(0.05)
    sent = {s.event_type: s.status_code for s in magichour_emulator.webhooks_sent}
    assert sent.get("image.completed") == 200, magichour_emulator.webhooks_sent
    run_tasks()
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED


@pytest.mark.parametrize("timestamp", ["1" * 400, "9" * 30, "9" * 13, "²", "٣٣٣", "-1", "1.5", "0"])
def test_a_validly_signed_nonsense_timestamp_gets_400(client, mh, running, timestamp):
    response = deliver(client, mh, running, timestamp=timestamp)
    assert response.status_code == 400, response.status_code
    assert response.json()["error"] in ("bad_timestamp", "stale")
    running.refresh_from_db()
    assert running.status == Status.RUNNING
