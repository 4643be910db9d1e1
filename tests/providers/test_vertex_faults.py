"""Bad answers from Vertex AI, each through the pipeline to the job's end.

Vertex answers with the picture inside the JSON, so the issue's download faults become
payload faults: bytes that are not an image, or too many of them. Every case ends in a
retry that succeeds, a clear failure, or a paused alias; never a job left running and
never a stored non-image. One table, one test: a shared provider contract suite can take
``CASES`` as it is (fault, route, parameters, expected outcome and code).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from django_tryon.models import Status, TryOnJob
from django_tryon.providers.base import MESSAGES
from django_tryon.services import request_tryon
from django_tryon.storage import private_storage
from tests.providers.support import vertex_alias
from tests.reliability.support import is_paused, reliability_tryon, settle

MB = 1024 * 1024


@dataclass(frozen=True)
class Case:
    name: str
    fault: str
    params: dict[str, Any] = field(default_factory=dict)
    outcome: str = "retried"  # "retried" (then succeeds), "failed" or "paused"
    code: str = ""
    times: int = 1
    route: str = "create"


CASES = [
    Case("quota (429 RESOURCE_EXHAUSTED)", "http_error", {"status": 429}),
    Case("500 INTERNAL", "http_error", {"status": 500}),
    Case("503 UNAVAILABLE", "http_error", {"status": 503}),
    Case("HTML error page", "html", {"status": 502}),
    Case("HTML page with 200", "html", {"status": 200}),
    Case("truncated JSON", "malformed_json"),
    Case("200 without predictions", "missing_fields"),
    Case("connection reset", "reset"),
    Case("read timeout", "timeout", {"seconds": 3}),
    Case("every sample filtered", "rai_filtered", outcome="failed", code="harmful_content"),
    Case("empty predictions", "no_predictions", outcome="failed", code="harmful_content"),
    Case("payload not an image", "payload_not_image", outcome="failed", code="result_not_image"),
    Case("payload too large", "payload_oversized", {"size": 2 * MB}, "failed", "result_too_large"),
    Case("redirect to a private address", "redirect", outcome="failed", code="url_not_allowed"),
    Case("input refused: no person", "refused_input", outcome="failed", code="no_person"),
    Case("401 UNAUTHENTICATED", "http_error", {"status": 401}, "paused", "auth_failed"),
    Case("billing disabled", "http_error",
         {"status": 403, "message": "This API method requires billing to be enabled."},
         "paused", "insufficient_credits"),
    Case("HTML error page, persistent", "html", {"status": 502}, "failed",
         "provider_unavailable", times=10),
    Case("truncated JSON, persistent", "malformed_json", {}, "failed", "bad_response", times=10),
]  # fmt: skip


@pytest.fixture
def vertex(vertex_emulator, settings):
    settings.STORAGES = {**settings.STORAGES}  # a fresh in-memory storage for each test
    settings.TRYON = reliability_tryon(
        {"vertex": vertex_alias(vertex_emulator, TIMEOUT=1)}, "vertex", MAX_RESULT_BYTES=MB
    )
    return vertex_emulator


def stored_results() -> list[str]:
    try:
        return private_storage().listdir("tryon/results")[1]
    except FileNotFoundError:
        return []


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_answer(vertex, case, garment, model_photo):
    vertex.inject(case.fault, route=case.route, times=case.times, **case.params)
    job = settle(request_tryon(garment, model_photo))

    if case.outcome == "retried":
        assert job.status == Status.SUCCEEDED, (job.error_code, job.error_message)
        with job.result.open("rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
        assert vertex.create_calls == 2
    elif case.outcome == "failed":
        assert (job.status, job.error_code) == (Status.FAILED, case.code)
        assert job.error_message  # plain words for the person looking at the job
        assert not job.result and stored_results() == []  # nothing half-stored
        assert job.credits_charged == 0
    else:
        assert (job.status, job.error_code) == (Status.PENDING, case.code)
        assert job.error_message == str(MESSAGES[case.code])
        assert is_paused("vertex")
    assert TryOnJob.objects.filter(status=Status.RUNNING).count() == 0  # none left running
