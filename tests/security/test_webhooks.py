"""Forged, stale and replayed webhooks, beyond tests/webhooks/ (which covers the basics:
unsigned, wrong secret, stale and future timestamps, replays within and past the
tolerance, malformed bodies, unknown aliases, each alias's own secret).

Here: a valid signature over another body or another timestamp, a signed event that tries
to hand the pipeline a download URL of its own (the pipeline believes only the provider's
API, never the payload), a huge body, and a storm of replays of a finished job.
"""

from __future__ import annotations

import json
import time

import pytest

from django_tryon.models import Status
from django_tryon.pipeline import advance
from django_tryon.services import request_tryon
from django_tryon.testing.queue import queued_functions
from tests.providers.support import WEBHOOK_SECRET, sign
from tests.reliability.figures import record

URL = "/tryon/webhooks/magichour/magichour/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def running(mh, garment, model_photo):
    mh.latency = 3600
    job = request_tryon(garment, model_photo)
    advance(job.pk)
    job.refresh_from_db()
    assert job.status == Status.RUNNING and job.provider_job_id
    return job


def post(client, body: bytes, headers: dict[str, str]):
    return client.post(URL, data=body, content_type="application/json", headers=headers)


def snapshot(job):
    job.refresh_from_db()
    return (job.status, job.result.name, job.provider_data, job.next_check_at)


def test_a_signature_is_bound_to_its_body_and_timestamp(client, mh, running):
    body, headers = mh.webhook_request(
        "image.completed", running.provider_job_id, secret=WEBHOOK_SECRET
    )
    before = snapshot(running)
    other = json.dumps(
        {
            "type": "image.completed",
            "payload": {"id": running.provider_job_id, "status": "complete"},
        }
    ).encode()
    forged = [
        (other, headers),  # the signature of another body
        (body + b" ", headers),  # one byte more
        (body, {**headers, "magic-hour-event-timestamp": str(int(time.time()) + 1)}),
        (
            body,
            {**headers, "magic-hour-event-signature": headers["magic-hour-event-signature"][:-1]},
        ),
        (
            body,
            {
                **headers,
                "magic-hour-event-signature": headers["magic-hour-event-signature"].upper() + "0",
            },
        ),
        (body, sign(body, secret=WEBHOOK_SECRET + " ")),
        (body, sign(body, secret="")),
    ]
    for forged_body, forged_headers in forged:
        response = post(client, forged_body, forged_headers)
        assert response.status_code == 400, forged_headers
        assert WEBHOOK_SECRET not in response.content.decode()
    assert snapshot(running) == before and queued_functions() == []
    record("security_probes", webhooks=len(forged))


def test_a_signed_payload_cant_choose_what_the_pipeline_downloads(
    client,
    mh,
    running,
    run_tasks,
    django_capture_on_commit_callbacks,
):
    """Even a genuine, signed event is only a wake-up call: the state is re-read from the API."""
    payload = {
        "id": running.provider_job_id,
        "status": "complete",
        "downloads": [{"url": "http://169.254.169.254/latest/meta-data/iam/", "expires_at": "x"}],
    }
    body = json.dumps({"type": "image.completed", "payload": payload}).encode()
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, body, sign(body)).status_code == 200
    run_tasks()
    running.refresh_from_db()
    # The project is still rendering at Magic Hour: nothing was downloaded from anywhere.
    assert running.status == Status.RUNNING and not running.result
    assert "169.254" not in json.dumps(running.provider_data)
    assert [r.route for r in mh.requests].count("download") == 0
    record("security_probes", webhooks=1)


def test_a_huge_body_is_refused_unread(client, mh, running):
    body = (
        b'{"type": "image.completed", "payload": {"id": "x"}, "pad": "' + b"x" * (3 * 2**20) + b'"}'
    )
    response = post(client, body, sign(body))
    assert response.status_code == 400
    record("security_probes", webhooks=1)


def test_a_storm_of_replays_changes_a_finished_job_in_no_way(
    client,
    mh,
    running,
    run_tasks,
    django_capture_on_commit_callbacks,
):
    body, headers = mh.webhook_request(
        "image.completed", running.provider_job_id, secret=WEBHOOK_SECRET
    )
    with django_capture_on_commit_callbacks(execute=True):
        post(client, body, headers)
    run_tasks()
    running.refresh_from_db()
    assert running.status == Status.SUCCEEDED
    done = snapshot(running)
    for event in ("image.completed", "image.errored", "image.started"):
        replay, replay_headers = mh.webhook_request(
            event, running.provider_job_id, secret=WEBHOOK_SECRET
        )
        for _ in range(5):
            with django_capture_on_commit_callbacks(execute=True):
                assert post(client, replay, replay_headers).status_code == 200
            run_tasks()
    assert snapshot(running) == done  # an errored event after success doesn't fail it
    assert mh.create_calls == 1 and [r.route for r in mh.requests].count("download") == 1
    record("security_probes", webhooks=15)
