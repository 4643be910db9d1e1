"""The provider contract: every fault of the issue, against each provider's emulator.

Each case injects one fault into an otherwise healthy run and drives the job to its end
(waits are skipped, not slept: ``support.settle``). It checks the end state and the words
a person reads, counts the retries and the backoff chosen for each, and counts what the
provider created for the job. Whatever the fault, no job is left running and no
non-image is stored.

The faults and the providers they run against are in ``contract.py``; unit-level mappings
live in ``tests/providers/``. The figures in docs/reliability.md come from this matrix.
"""

from __future__ import annotations

import pytest

from django_tryon import pipeline
from django_tryon.conf import tryon_settings
from django_tryon.imaging import sniff_image_format
from django_tryon.models import ProviderState, Status, TryOnJob
from django_tryon.providers.base import MESSAGES
from django_tryon.services import request_tryon, resume_provider
from django_tryon.storage import private_storage
from tests.reliability.contract import CONTRACT_PROVIDERS, MB, Case, ContractProvider
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

CASES = [
    pytest.param(provider, case, id=provider.param_id(case))
    for provider in CONTRACT_PROVIDERS
    for case in provider.cases
]


@pytest.fixture
def emulator(request, provider: ContractProvider, settings):
    """The provider's alias on its emulator, production retry settings, a short call timeout."""
    emulator = request.getfixturevalue(provider.emulator_fixture)
    settings.STORAGES = {**settings.STORAGES}  # a fresh in-memory storage for each test
    settings.TRYON = reliability_tryon(
        {provider.alias: provider.alias_options(emulator, TIMEOUT=1)},
        provider.alias,
        MAX_RESULT_BYTES=MB,
    )
    return emulator


def stored_results() -> list[str]:
    try:
        return private_storage().listdir("tryon/results")[1]
    except FileNotFoundError:
        return []


def walk(folder: str) -> list[str]:
    storage = private_storage()
    try:
        dirs, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    return [f"{folder}/{f}" for f in files] + [n for d in dirs for n in walk(f"{folder}/{d}")]


@pytest.mark.parametrize(("provider", "case"), CASES)
def test_fault(emulator, provider: ContractProvider, case: Case, garment, model_photo, monkeypatch):
    alias = provider.alias
    spy = BackoffSpy().install(monkeypatch)
    emulator.inject(case.inject, route=case.route, times=case.times, **case.params)
    job = request_tryon(garment, model_photo, provider=alias)
    job = settle(job)
    waiting = None

    if case.outcome == "retried":
        assert job.status == Status.SUCCEEDED, (job.error_code, job.error_message)
        assert job.result and private_storage().exists(job.result.name)
        with job.result.open("rb") as stored:
            assert sniff_image_format(stored.read(32)) is not None  # never a non-image
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
    others = 1 if waiting is not None else 0  # the job that waited behind the pause
    if provider.names_jobs:
        # One job whatever happened (none if every create failed: the emulator made none).
        assert projects_named(emulator, job) == case.projects
        creates = creates_for(emulator, job)
    else:
        if provider.provider_jobs is not None:
            assert provider.provider_jobs(emulator) - others == case.projects
        creates = emulator.create_calls - others
    assert creates == case.creates
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
