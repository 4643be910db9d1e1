"""Every provider fault of the issue, against each provider's emulator, through the pipeline.

Each case injects one fault into an otherwise healthy run and drives the job to its end
(waits are skipped, not slept: ``support.settle``). It checks the end state and the words
a person reads, counts the retries and the backoff chosen for each, and counts what the
provider created for the job (Magic Hour names its projects after the job).

Unit-level mappings of these faults live in ``tests/providers/``; this is the matrix the
figures in docs/reliability.md come from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from django_tryon import pipeline
from django_tryon.conf import tryon_settings
from django_tryon.models import ProviderState, Status, TryOnJob
from django_tryon.providers.base import MESSAGES
from django_tryon.services import request_tryon, resume_provider
from django_tryon.storage import current_storage
from tests.providers.support import cc_alias, mh_alias
from tests.reliability.figures import record
from tests.reliability.support import (
    BackoffSpy,
    _in_test_transaction,
    creates_for,
    is_paused,
    projects_named,
    reliability_tryon,
    settle,
)

MB = 1024 * 1024


@dataclass(frozen=True)
class Case:
    fault: str  # the name for it
    inject: str  # the emulator's fault
    route: str
    params: dict[str, Any] = field(default_factory=dict)
    # What must happen: "retried" (then succeeds), "failed" with ``code``, or "paused".
    outcome: str = "retried"
    code: str = ""
    # Transient errors met before success; create calls that may have made a job.
    retries: int = 1
    uncertain: int = 0
    times: int = 1  # how many answers in a row get the fault
    projects: int = 1  # Magic Hour projects the job ends with


# The list, at the route where each fault means most. Magic Hour also gets the
# transient faults on polls (a job already paid for must not be lost to a bad poll).
COMMON = [
    Case("429 with Retry-After", "http_error", "create", {"status": 429, "retry_after": 7}),
    Case("429 without Retry-After", "http_error", "create", {"status": 429}),
    Case("500", "http_error", "create", {"status": 500}),
    Case("502", "http_error", "create", {"status": 502}),
    Case("503", "http_error", "create", {"status": 503}),
    Case("read timeout", "timeout", "create", {"seconds": 3}, uncertain=1),
    Case("connection reset", "reset", "create", uncertain=1),
    Case("malformed JSON", "malformed_json", "create"),
    Case("HTML error page", "html", "create", {"status": 502}),
    Case("oversized download", "oversized", "download", {"size": 3 * MB}, "failed",
         "result_too_large", retries=0),
    Case("oversized download, no Content-Length", "oversized", "download",
         {"size": 3 * MB, "declare_length": False}, "failed", "result_too_large", retries=0),
    Case("non-image download", "not_image", "download", {}, "failed", "result_not_image",
         retries=0),
    Case("401", "http_error", "create", {"status": 401}, "paused", "auth_failed", retries=0),
    Case("402", "http_error", "create", {"status": 402}, "paused", "insufficient_credits",
         retries=0),
]  # fmt: skip

MAGIC_HOUR = [
    *[
        # A 500 or an unreadable 200 on create: Magic Hour may have made the project.
        Case(c.fault, c.inject, c.route, c.params, c.outcome, c.code, c.retries,
             1 if c.fault in ("500", "malformed JSON") else c.uncertain)
        for c in COMMON
    ],
    # Download URLs expire after 24 h: the project hands out a fresh one, no retry needed.
    Case("expired download URL", "expired", "download", retries=0),
    *[
        Case(f"{c.fault} (poll)", c.inject, "poll", c.params)
        for c in COMMON
        if c.outcome == "retried"
    ],
]  # fmt: skip

# Persistent: the fault answers every create. Retries stop at MAX_TRANSIENT_ERRORS (5 tries,
# 4 backoffs) and the job fails with the fault's own words, having made nothing.
PERSISTENT_CODES = {
    "429 without Retry-After": "rate_limited",
    "500": "provider_unavailable",
    "503": "provider_unavailable",
    "connection reset": "connection_error",
    "malformed JSON": "bad_response",
    "HTML error page": "provider_unavailable",
}


def persistent(case: Case, uncertain_per_try: bool) -> Case:
    return Case(
        f"{case.fault} (persistent)", case.inject, case.route, case.params, "failed",
        PERSISTENT_CODES[case.fault], retries=4, uncertain=5 if uncertain_per_try else 0,
        times=10, projects=0,
    )  # fmt: skip


MAGIC_HOUR += [
    persistent(c, c.fault in ("500", "connection reset", "malformed JSON"))
    for c in COMMON
    if c.fault in PERSISTENT_CODES
]

CHANGE_CLOTHES = [
    # Synchronous: an answer that came back refused or unreadable made no picture; only a
    # call cut off mid-way (timeout, reset) may have made one.
    *COMMON,
    # The result URL is all we have: an expired one is retried (the CDN may serve it again).
    Case("expired download URL", "expired", "download"),
    *[persistent(c, c.fault == "connection reset") for c in COMMON if c.fault in PERSISTENT_CODES],
]

CASES = [pytest.param("magichour", c, id=f"magichour-{c.fault}") for c in MAGIC_HOUR] + [
    pytest.param("changeclothes", c, id=f"changeclothes-{c.fault}") for c in CHANGE_CLOTHES
]


@pytest.fixture
def providers(magichour_emulator, changeclothes_emulator, settings):
    """Both aliases on their emulators, production retry settings, a short call timeout."""
    settings.STORAGES = {**settings.STORAGES}  # a fresh in-memory storage for each test
    settings.TRYON = reliability_tryon(
        {
            "magichour": mh_alias(magichour_emulator, TIMEOUT=1),
            "changeclothes": cc_alias(changeclothes_emulator, TIMEOUT=1),
        },
        "magichour",
        MAX_RESULT_BYTES=MB,
    )
    return {"magichour": magichour_emulator, "changeclothes": changeclothes_emulator}


def stored_results() -> list[str]:
    try:
        return current_storage().listdir("tryon/results")[1]
    except FileNotFoundError:
        return []


def walk(folder: str) -> list[str]:
    storage = current_storage()
    try:
        dirs, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    return [f"{folder}/{f}" for f in files] + [n for d in dirs for n in walk(f"{folder}/{d}")]


@pytest.mark.parametrize(("alias", "case"), CASES)
def test_fault(providers, alias, case, garment, model_photo, monkeypatch):
    emulator = providers[alias]
    spy = BackoffSpy().install(monkeypatch)
    emulator.inject(case.inject, route=case.route, times=case.times, **case.params)
    job = request_tryon(garment, model_photo, provider=alias)
    job = settle(job)
    waiting = None

    if case.outcome == "retried":
        assert job.status == Status.SUCCEEDED, (job.error_code, job.error_message)
        assert job.result and current_storage().exists(job.result.name)
    elif case.outcome == "failed":
        assert (job.status, job.error_code) == (Status.FAILED, case.code)
        assert job.error_message == str(MESSAGES[case.code])
        assert not job.result and walk("tryon/results") == []  # nothing half-stored
    else:
        assert job.status == Status.PENDING and job.error_code == case.code
        assert job.error_message == str(MESSAGES[case.code])
        assert is_paused(alias)
        state = ProviderState.objects.get(alias=alias)
        assert state.pause_code == case.code
        # The queue waits: a job that comes next is not sent while the alias is paused.
        waiting = request_tryon(garment, model_photo, provider=alias, options={"n": 2})
        creates_before = emulator.create_calls
        for other in (job, waiting):
            pipeline.advance(other.pk)
        waiting.refresh_from_db()
        assert waiting.status == Status.PENDING and emulator.create_calls == creates_before
        # An admin resumes the alias: the waiting jobs go out and finish (the drain it sends
        # goes once the admin's request commits).
        with _in_test_transaction():
            resume_provider(alias)
        job, waiting = settle(job), settle(waiting)
        assert (job.status, waiting.status) == (Status.SUCCEEDED, Status.SUCCEEDED)

    # Retries: exactly the transient errors of the case, each with a bounded backoff.
    assert len(spy.calls) == case.retries, spy.calls
    for _errors, retry_after, delay in spy.calls:
        assert 0.5 <= delay <= tryon_settings.BACKOFF_MAX
        if retry_after is not None:
            assert delay >= min(retry_after, tryon_settings.BACKOFF_MAX)
    if case.params.get("retry_after"):
        assert spy.calls[0][1] == case.params["retry_after"]

    assert job.provider_data.get("uncertain_submissions", 0) == case.uncertain
    if alias == "magichour":
        # One project whatever happened (none if every create failed: the emulator made none).
        assert projects_named(emulator, job) == case.projects
        creates = creates_for(emulator, job)
    else:
        creates = emulator.create_calls - (1 if waiting is not None else 0)
    # The first create, one per retried create, and one after the alias was resumed.
    expected_creates = 1 + (case.retries if case.route == "create" else 0)
    expected_creates += 1 if case.outcome == "paused" else 0
    assert creates == expected_creates
    assert TryOnJob.objects.active().count() == 0  # nothing left behind: no job lost

    record(
        "provider_faults",
        cases=1,
        jobs_lost=0,
        retries=len(spy.calls),
        **{f"provider_{alias}": 1},
    )
    record(f"retries_{alias}", **{case.fault.replace(" ", "_"): len(spy.calls)})


def test_backoff_is_capped_jittered_and_honours_retry_after(settings):
    settings.TRYON = reliability_tryon({}, "sandbox")
    for errors in range(1, 12):
        delays = [pipeline.backoff(errors) for _ in range(300)]
        ceiling = min(120.0, 2.0 * 2 ** (errors - 1))
        assert all(0.5 <= d <= max(0.5, ceiling) for d in delays)
        if ceiling > 1:
            assert len({round(d, 3) for d in delays}) > 100  # jittered, not a fixed step
    assert min(pipeline.backoff(1, retry_after=30) for _ in range(100)) >= 30
    assert max(pipeline.backoff(1, retry_after=10_000) for _ in range(100)) == 120.0
