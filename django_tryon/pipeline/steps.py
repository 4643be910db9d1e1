"""The steps of a claimed job: take a slot and submit, poll, fetch the result.

``run`` is the one way a step is taken, by a drain, the ticker or a worker: it finds the
alias's backend (a job whose alias was removed fails here, and only here), fails a job
past its deadline, and otherwise takes the step ``next_step`` reads from the row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from .. import signals
from ..conf import tryon_settings
from ..imaging import sniff_image_format
from ..models import ProviderState, Status, TryOnJob
from ..providers.base import (
    AccountError,
    BaseProvider,
    ErrorKind,
    JobState,
    PermanentError,
    ProviderError,
    ProviderJob,
    TransientError,
)
from ..storage import delete_quietly, save_stream
from . import outfits
from .aliases import AliasPolicy, Verdict, paused_aliases
from .claims import claim, later, lease_end, start_fields, write
from .inputs import build_request, provider_job
from .outcomes import (
    count_uncertain,
    fail_unconfigured,
    finish,
    finish_failed,
    on_error,
    resubmit_failed,
    unavailable,
)
from .states import Step, deadline_passed, next_step
from .wakeups import ensure_ticker

logger = logging.getLogger("django_tryon.pipeline")

StepFunction = Callable[[TryOnJob, BaseProvider], Any]


def advance(job_id: int) -> None:
    """Take job ``job_id`` one step further, if it's active and nobody else holds it."""
    job = claim(job_id)
    if job is not None:
        run(job)


def run(job: TryOnJob, step: StepFunction | None = None, policy: AliasPolicy | None = None) -> None:
    """One step of a job this worker has claimed (by default, the one its row calls for)."""
    try:
        provider = (policy or AliasPolicy()).provider(job.provider)
        if provider is None:
            fail_unconfigured(job)
        elif step is not None:
            step(job, provider)
        elif deadline_passed(job, timezone.now()):
            finish_failed(job, PermanentError("deadline_exceeded"), provider=provider)
        else:
            current = next_step(job)
            if current is not None:
                STEPS[current](job, provider)
    except Exception:
        # Leave the job to be retried later, and keep the worker alive.
        logger.exception("Job %s: unexpected error while advancing", job.pk)
        write(job, next_check_at=later(tryon_settings.REDISPATCH_AFTER))


def start(job: TryOnJob, provider: BaseProvider) -> None:
    if take_slot(job, provider):
        submit(job, provider)


def take_slot(job: TryOnJob, provider: BaseProvider) -> bool:
    """Move a pending job to running if its alias is open and has a free slot, in order."""
    policy = AliasPolicy()
    now = timezone.now()
    # The full lease from here: a drain's chunk leased this job only until its step began.
    until = lease_end(now)
    start = {**start_fields(job, now, lease_until=until), "lease_until": until}
    cap = policy.cap(job.provider)
    if not cap and write(job, release=False, unless=Q(provider__in=paused_aliases()), **start):
        return True  # the common case, in one UPDATE
    if policy.verdict(job) != Verdict.START:
        state = policy.paused[job.provider]
        error = AccountError(state.pause_code or "auth_failed", state.pause_reason)
        unavailable(job, provider, error, policy)
        return False
    if not cap:
        return write(job, release=False, **start)  # resumed between the two reads
    with transaction.atomic():
        # Serialise slot-taking per alias; SQLite serialises writers anyway.
        ProviderState.objects.get_or_create(alias=job.provider)
        list(ProviderState.objects.select_for_update().filter(alias=job.provider))
        queue = TryOnJob.objects.filter(provider=job.provider).aggregate(
            running=Count("pk", filter=Q(status=Status.RUNNING)),
            ahead=Count(
                "pk",
                filter=Q(status=Status.PENDING)
                & (Q(created_at__lt=job.created_at) | Q(created_at=job.created_at, pk__lt=job.pk)),
            ),
        )
        if queue["running"] + queue["ahead"] >= cap:
            write(job, next_check_at=later(tryon_settings.POLL_INTERVAL))
            return False
        # From here a worker death leaves "running, no provider job id": resubmitted after the lease.
        return write(job, release=False, **start)


def resubmit(job: TryOnJob, provider: BaseProvider) -> None:
    # Running without a provider job id, and its lease expired: the worker died while
    # submitting. The provider may or may not have created a job, so submitting again
    # is the one place where a job can be charged twice: it is counted as uncertain.
    count_uncertain(job)
    logger.warning(
        "Job %s: its worker died while submitting; a job may exist at %s", job.pk, job.provider
    )
    if write(job, release=False, attempts=job.attempts + 1, provider_data=job.provider_data):
        submit(job, provider)


def submit(job: TryOnJob, provider: BaseProvider) -> None:
    try:
        request = build_request(job, provider)
    except OSError as exc:  # the inputs can't be read from the storage: nothing was sent
        logger.warning("Job %s: storage error %s reading the inputs", job.pk, type(exc).__name__)
        on_error(
            job, provider, TransientError("storage_error", no_job_created=True), submitting=True
        )
        return
    try:
        pjob = provider.submit(request)
    except ProviderError as error:
        on_error(job, provider, error, submitting=True)
        return
    # Record the provider's id first and on its own: this closes the double-submit window.
    now = timezone.now()
    first_poll = provider.first_poll_after()
    data = {**job.provider_data, **pjob.data, "credits": pjob.credits or 0}
    if pjob.result_url:
        # A provider that answers with the result (synchronous) can't be asked again: the
        # URL is kept with the id, so a failed or interrupted download is retried, not lost.
        data["result_url"] = pjob.result_url
    fields: dict[str, Any] = {
        "provider_job_id": pjob.id,
        # "credits" is what this provider charged, restated by later polls (refunds).
        "provider_data": data,
        "submitted_at": now,
        "transient_errors": 0,
        "credits_charged": job.credits_charged + (pjob.credits or 0),
        "next_check_at": later(first_poll),
    }
    # Keep the lease only when this worker goes on with the job right away.
    goes_on = pjob.is_terminal or first_poll <= 0
    if not write(job, release=not goes_on, **fields):
        return
    signals.job_submitted.send(sender=TryOnJob, job=job)
    if not goes_on:
        ensure_ticker()
        return
    state = apply_state(job, provider, pjob) if pjob.is_terminal else poll(job, provider)
    if state == JobState.SUCCEEDED:
        fetch(job, provider)  # the result is ready already: no second message needed
    elif state is not None and not state_is_terminal(state):
        ensure_ticker()


def poll(job: TryOnJob, provider: BaseProvider, *, release: bool = False) -> JobState | None:
    try:
        pjob = provider.poll(provider_job(job))
    except ProviderError as error:
        on_error(job, provider, error)
        return None
    return apply_state(job, provider, pjob, release=release)


def poll_and_fetch(job: TryOnJob, provider: BaseProvider) -> None:
    """A worker's poll (after a webhook): a result that is ready is fetched at once."""
    if poll(job, provider) == JobState.SUCCEEDED:
        fetch(job, provider)


def poll_claimed(jobs: list[TryOnJob], policy: AliasPolicy) -> None:
    """The ticker's polls of jobs it claimed together (``claims.claim_polls``).

    Each provider is asked in turn; the answers "still running" and "ready" are then
    recorded in one transaction, one commit for the lot (a result that is ready is fetched
    by a drain: the ticker sends one after its pass). Errors and endings (failed, canceled)
    are handled job by job, as in any step.
    """
    answers: list[tuple[TryOnJob, BaseProvider, ProviderJob]] = []
    for job in jobs:
        try:
            provider = policy.provider(job.provider)
            if provider is None:
                fail_unconfigured(job)
                continue
            try:
                pjob = provider.poll(provider_job(job))
            except ProviderError as error:
                on_error(job, provider, error)
                continue
            if pjob.state in (JobState.RUNNING, JobState.SUCCEEDED):
                answers.append((job, provider, pjob))
            else:
                apply_state(job, provider, pjob, release=True)
        except Exception:
            logger.exception("Job %s: unexpected error while polling", job.pk)
            write(job, next_check_at=later(tryon_settings.REDISPATCH_AFTER))
    if not answers:
        return
    try:
        with transaction.atomic():
            for job, provider, pjob in answers:
                apply_state(job, provider, pjob, release=True)
    except Exception:
        # Nothing recorded: these jobs are polled again once their (short) lease ends.
        logger.exception(
            "Polls of jobs %s: unexpected error while recording", [j.pk for j, *_ in answers]
        )


def apply_state(
    job: TryOnJob, provider: BaseProvider, pjob: ProviderJob, *, release: bool = False
) -> JobState:
    """Record what the provider says of a job; returns the state it's in."""
    now = timezone.now()
    data = {**job.provider_data, **pjob.data}
    if pjob.result_url:
        data["result_url"] = pjob.result_url
    credits = job.credits_charged
    if pjob.credits is not None:
        credits = _credits_after(job, pjob.credits)
        data["credits"] = pjob.credits
    if pjob.state == JobState.SUCCEEDED:
        ready: dict[str, Any] = {
            "provider_data": data,
            "credits_charged": credits,
            "result_ready_at": now,
            "transient_errors": 0,
            "next_check_at": now,
        }
        if release:  # another worker will fetch it: the row must say the result is ready
            write(job, **ready)
        else:  # this worker fetches it right away; the final write records all of it
            for name, value in ready.items():
                setattr(job, name, value)
    elif pjob.state == JobState.FAILED:
        error = pjob.error or PermanentError("provider_error")
        # "Please retry" failures get a new provider job; any other failure ends ours.
        end = resubmit_failed if error.kind == ErrorKind.RESUBMIT else _fail
        end(job, provider, error, credits_charged=credits, provider_data=data)
    elif pjob.state == JobState.CANCELED:
        finish(job, Status.CANCELED, PermanentError("canceled"), credits_charged=credits)
        signals.job_canceled.send(sender=TryOnJob, job=job)
    else:
        # Still running: this step is over, whoever called it (a worker's advance after a
        # webhook too), so the lease goes and the ticker can poll again.
        write(
            job,
            release=True,
            provider_data=data,
            transient_errors=0,
            next_check_at=later(tryon_settings.POLL_INTERVAL),
        )
    return pjob.state


def _fail(job: TryOnJob, provider: BaseProvider, error: ProviderError, **fields: Any) -> None:
    finish_failed(job, error, provider=provider, **fields)


def state_is_terminal(state: JobState) -> bool:
    return state in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELED)


def _credits_after(job: TryOnJob, provider_credits: int) -> int:
    """Credits after the provider restates a job's charge (e.g. 0 when it refunds)."""
    previous = int(job.provider_data.get("credits", 0) or 0)
    return max(0, job.credits_charged - previous + provider_credits)


def fetch(job: TryOnJob, provider: BaseProvider) -> None:
    """Stream the finished image into storage and mark the job succeeded."""
    pjob = provider_job(job)
    try:
        request = build_request(job, provider)
        with provider.open_result(pjob, request) as stream:
            name = save_stream("results", _extension_of(stream), stream)
    except ProviderError as error:
        on_error(job, provider, error)
        return
    except OSError as exc:  # the storage failed: try again later, nothing half-written is kept
        logger.warning("Job %s: storage error %s", job.pk, type(exc).__name__)
        on_error(job, provider, TransientError("storage_error"))
        return
    if not outfits.is_last_call(job, provider):
        # An outfit's call before its last: its picture is where the next call starts.
        if outfits.continue_chain(job, provider, name):
            _discard(job, provider, pjob)
        else:
            delete_quietly(name)  # another worker or a cancel won: leave no orphan
        return
    extras = _fetch_extras(job, provider, pjob)
    done = {"provider_data": job.provider_data, "credits_charged": job.credits_charged}
    if not finish(job, Status.SUCCEEDED, None, result=name, **done, **extras):
        for stored in (name, *extras.values()):
            delete_quietly(stored)  # another worker or a cancel won: leave no orphan
        return
    signals.job_succeeded.send(sender=TryOnJob, job=job)
    _discard(job, provider, pjob)


def _discard(job: TryOnJob, provider: BaseProvider, pjob: ProviderJob) -> None:
    """Delete the provider's copy of a stored picture, where the alias asks for it."""
    if provider.option("DELETE_AFTER_DOWNLOAD"):
        try:
            provider.discard(pjob)
        except ProviderError as error:
            logger.info("Job %s: could not delete the provider's copy: %s", job.pk, error.code)


# Extra images a provider may hand over with the result: TryOnJob field -> storage folder.
EXTRA_FIELDS = {"mask": "masks"}


def _fetch_extras(job: TryOnJob, provider: BaseProvider, pjob: ProviderJob) -> dict[str, str]:
    """Store the provider's extra images (e.g. a mask); a failure here never fails the job."""
    stored: dict[str, str] = {}
    for field in provider.extra_results(pjob):
        if field not in EXTRA_FIELDS:
            continue
        try:
            with provider.open_extra(pjob, field) as stream:
                stored[field] = save_stream(EXTRA_FIELDS[field], _extension_of(stream), stream)
        except (ProviderError, OSError) as exc:
            logger.info("Job %s: extra image %s not stored: %s", job.pk, field, type(exc).__name__)
    return stored


def _extension_of(stream: Any) -> str:
    head = stream.read(32)
    stream.seek(0)
    return {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}.get(sniff_image_format(head) or "", "jpg")


# What each step of the table does, for a worker that claimed the job.
STEPS: dict[Step, StepFunction] = {
    Step.START: start,
    Step.RESUBMIT: resubmit,
    Step.POLL: poll_and_fetch,
    Step.FETCH: fetch,
}
