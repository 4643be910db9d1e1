"""Vertex AI end to end through a real ``qcluster``, on both brokers, against its emulator.

The emulator runs in this process on loopback; the cluster subprocesses reach it with the
same TRYON settings (``tests/cluster.py`` passes them along). The cluster's workers get
their token from the emulator's token endpoint with a service account key, as a shop's
workers get theirs from Google.
"""

from __future__ import annotations

import pytest

from django_tryon.models import Status
from django_tryon.services import request_tryon
from tests.providers.support import is_image, service_account_key, tryon, vertex_alias
from tests.providers.test_cluster_e2e import BROKERS, finished

pytestmark = pytest.mark.cluster


@pytest.mark.parametrize("broker", BROKERS)
def test_vertex_through_qcluster(qcluster, vertex_emulator, garment, model_photo, broker):
    vertex_emulator.latency = 0.5
    # tests/settings.py gives workers 60 s: tryon.E007 refuses the default 120 s TIMEOUT.
    alias = vertex_alias(
        vertex_emulator,
        ACCESS_TOKEN="",
        CREDENTIALS_INFO=service_account_key(),
        TOKEN_URI=vertex_emulator.token_uri,
        TIMEOUT=25,
    )
    qcluster(broker=broker, tryon=tryon({"vertex": alias}, "vertex", POLL_INTERVAL=0.2))
    vertex_emulator.inject("http_error", route="create", status=429)  # quota, then fine
    jobs = [request_tryon(garment, model_photo, options={"n": n}) for n in range(2)]
    for job in jobs:
        job = finished(job)
        assert job.status == Status.SUCCEEDED, (job.error_code, job.error_message)
        assert job.credits_charged == 3
        with job.result.open("rb") as handle:
            assert is_image(handle.read(), "PNG")
    assert vertex_emulator.token_grants  # the workers authenticated through google-auth
    assert vertex_emulator.create_calls == 3  # one quota refusal, two pictures

    vertex_emulator.inject("rai_filtered")  # Google's safety filters withhold the picture
    refused = finished(request_tryon(garment, model_photo, options={"n": "filtered"}))
    assert (refused.status, refused.error_code) == (Status.FAILED, "harmful_content")
    assert not refused.result and refused.credits_charged == 0
