"""The job state machine: claim a job, advance it one step, poll in batches, sweep.

The ``TryOnJob`` row carries all state; a queue message only says "look at job N".
Any step may run twice, late, or never, so each one:

- starts with a *claim*: a conditional UPDATE that takes a time-limited lease on the row,
  so two workers never work on one job;
- ends with writes that are conditional on still holding that lease, so a worker that
  lost its lease (it was too slow, or the job was canceled) changes nothing;
- leaves ``next_check_at`` set, so the ticker finds the job again if a message is lost.

Which step comes next is derived from the row:

==========  ===================  =================  ===========================
status      provider_job_id      result_ready_at    next step
==========  ===================  =================  ===========================
pending     (empty)              -                  wait for a slot, then submit
running     empty                -                  submit (again, after a crash)
running     set                  empty              poll
running     set                  set                fetch the result into storage
==========  ===================  =================  ===========================

New jobs are taken up by *drains*: a drain is a task that advances due jobs one after
another until none is left. A burst of new jobs sends one drain message, not one per job;
while more than one job is due, a running drain keeps one more queued, so every worker
drains while the queue is long and a worker that dies mid-step leaves the rest to another.

The *ticker* is one self-rescheduling task, held by a lease so only one runs at a time on
all hosts: it polls due running jobs in batches (waiting never holds a worker per job) and
hands every other due job to the workers. A periodic sweep restarts it and enforces the
deadline.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Min, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from . import budget, signals
from .conf import tryon_settings
from .imaging import sniff_image_format
from .models import ACTIVE_STATUSES, Lease, ProviderState, Source, Status, TryOnJob
from .providers import UnknownProvider, get_provider
from .providers.base import (
    AccountError,
    BaseProvider,
    ErrorKind,
    ImageInput,
    JobState,
    PermanentError,
    ProviderError,
    ProviderJob,
    TransientError,
    TryOnRequest,
)
from .storage import StorageError, delete_quietly, save_stream

logger = logging.getLogger("django_tryon.pipeline")

TICK_LEASE = "ticker"
DRAIN_LEASE = "drain"
# A lease's owner while the message for it waits in the queue (see _send_once).
QUEUED = "queued"
# How long past its budget a ticker's lease lasts. A ticker that dies (a killed worker, a
# dropped database connection) holds polling up for this long at most; a second ticker
# overlapping a slow one only repeats some reads, since each job it polls is claimed.
TICK_GRACE = 15.0
# Shortest pause between two ticker passes, so a busy queue does not spin on the database.
MIN_NAP = 0.05


# Enqueueing ---------------------------------------------------------------------------


def enqueue(func: str, *args: Any) -> None:
    """Send a wake-up message once the surrounding transaction (if any) has committed."""
    from django_q.tasks import async_task

    # Our rows are the record of what happened: no Task row is kept for a task that succeeded.
    transaction.on_commit(lambda: async_task(func, *args, q_options={"save": False}))


def enqueue_advance(job_id: int) -> None:
    enqueue("django_tryon.tasks.advance_job", job_id)


def start(job: TryOnJob) -> None:
    """Have a worker take up the new ``job`` once the surrounding transaction commits."""
    if _capped(job.provider):
        enqueue_advance(job.pk)  # a capped alias starts jobs in order, one message each
    else:
        transaction.on_commit(ensure_drain)


def ensure_ticker() -> None:
    """Start the ticker unless one runs or is already on its way."""
    _send_once(TICK_LEASE, "django_tryon.tasks.tick")


def ensure_drain() -> None:
    """Send a drain unless one is already on its way (a running drain doesn't count)."""
    _send_once(DRAIN_LEASE, "django_tryon.tasks.drain")


# Leases -------------------------------------------------------------------------------


def _send_once(lease: str, func: str) -> None:
    """Enqueue ``func`` unless the lease says a message for it is queued or running.

    The lease is marked ``queued`` for a while, so that a burst of calls sends one message,
    not one each; if that message is lost the mark expires and the next call sends another.
    It's one UPDATE: the lease rows are made after migrate and remade by the sweep.
    """
    now = timezone.now()
    free = Q(until__isnull=True) | Q(until__lte=now)
    marked = Lease.objects.filter(free, name=lease).update(
        owner=QUEUED, until=now + timedelta(seconds=tryon_settings.REDISPATCH_AFTER)
    )
    if marked:
        enqueue(func)


def create_leases(**kwargs: Any) -> None:
    """Make the pipeline's lease rows (a ``post_migrate`` receiver, and part of the sweep)."""
    from django.db import DEFAULT_DB_ALIAS, connections

    using = kwargs.get("using", DEFAULT_DB_ALIAS)
    if Lease._meta.db_table not in connections[using].introspection.table_names():
        return  # not migrated on this database yet
    for name in (TICK_LEASE, DRAIN_LEASE):
        Lease.objects.using(using).get_or_create(name=name)


def acquire_lease(name: str, seconds: float) -> str | None:
    """Take the named lease for ``seconds``; return its owner token, or None if it's held."""
    owner = secrets.token_hex(8)
    now = timezone.now()
    Lease.objects.get_or_create(name=name)
    free = Q(until__isnull=True) | Q(until__lte=now) | Q(owner=QUEUED)
    taken = Lease.objects.filter(free, name=name).update(
        owner=owner, until=now + timedelta(seconds=seconds)
    )
    return owner if taken else None


def release_lease(name: str, owner: str) -> None:
    Lease.objects.filter(name=name, owner=owner).update(until=None, owner="")


def deadline_from(now: Any) -> Any:
    """When a job that starts now must have ended."""
    return now + timedelta(seconds=tryon_settings.JOB_DEADLINE)


def _lease_end(now: Any) -> Any:
    return now + timedelta(seconds=tryon_settings.LEASE_SECONDS)


def claim(job_id: int) -> TryOnJob | None:
    """Lease one active job for this worker, or None when it's terminal or held elsewhere."""
    now = timezone.now()
    owner = secrets.token_hex(8)
    taken = (
        TryOnJob.objects.unleased(now)
        .filter(pk=job_id, status__in=ACTIVE_STATUSES)
        .update(lease_owner=owner, lease_until=_lease_end(now))
    )
    if not taken:
        return None
    return TryOnJob.objects.select_related("garment", "model_photo").get(pk=job_id)


# Due rows a drain reads at once: building and running that query costs more than a step.
DRAIN_BATCH = 20


def due_for_drain() -> list[TryOnJob]:
    """The oldest due jobs that a drain takes up (read, not leased), oldest first."""
    # Their ids first, then the rows: joining before the LIMIT would sort every wide row
    # (and MySQL refuses a LIMIT inside IN, so the ids are read, not nested).
    oldest = _drainable(timezone.now()).order_by("next_check_at", "pk")
    ids = list(oldest.values_list("pk", flat=True)[:DRAIN_BATCH])
    if not ids:
        return []
    return list(
        TryOnJob.objects.select_related("garment", "model_photo")
        .filter(pk__in=ids)
        .order_by("next_check_at", "pk")
    )


def claim_read(job: TryOnJob) -> bool:
    """Lease a job read earlier, if nobody changed or took it since; True when it's ours.

    Every step's write sets ``updated_at``, so a row that still has the one read holds
    the state read: leasing it is one UPDATE, without reading it again.
    """
    return _lease_read(job, timezone.now())


def start_read(job: TryOnJob) -> bool:
    """Claim a pending job read earlier and start it, in one UPDATE; True when it's ours.

    This is ``claim_read`` and ``_take_slot`` together, for the common case where taking a
    slot is no more than a write: an alias without a cap, not paused, and a deadline not
    passed. False otherwise, or when the row changed: the caller claims it as usual.
    """
    now = timezone.now()
    if job.status != Status.PENDING or _capped(job.provider):
        return False
    if job.deadline_at is not None and job.deadline_at <= now:
        return False
    start = _start_fields(job, now, lease_until=_lease_end(now))
    return _lease_read(job, now, unless=Q(provider__in=_paused().values("alias")), **start)


def _lease_read(job: TryOnJob, now: Any, *, unless: Q | None = None, **also: Any) -> bool:
    """Lease ``job`` (writing ``also`` with it) if its row is still as read; mirror on ``job``."""
    fields = {"lease_owner": secrets.token_hex(8), "lease_until": _lease_end(now), **also}
    if also:  # a change of state: a reader of the old row must not claim it after this
        fields["updated_at"] = now
    rows = TryOnJob.objects.unleased(now).filter(
        pk=job.pk, status=job.status, updated_at=job.updated_at
    )
    taken = (rows.exclude(unless) if unless is not None else rows).update(**fields)
    if taken:
        for name, value in fields.items():
            setattr(job, name, value)
    return bool(taken)


def _paused() -> Any:
    return ProviderState.objects.filter(paused_at__isnull=False)


def _aliases_with(option: str) -> set[str]:
    return {alias for alias, options in tryon_settings.PROVIDERS.items() if options.get(option)}


def _capped(alias: str) -> bool:
    return alias in _aliases_with("MAX_CONCURRENT")


def _drainable(now: Any) -> Any:
    """Due jobs a drain takes: starts, resubmissions after a crash, and result fetches.

    Polls are the ticker's. So are starts on a capped alias (the ticker hands out its free
    slots in order) and admin jobs waiting for a paused alias that has no fallback, which
    would only be put back to wait. A job never started is due whatever its
    ``next_check_at`` says: that was set by the clock of the host that created it.
    """
    uncapped = sorted(set(tryon_settings.PROVIDERS) - _aliases_with("MAX_CONCURRENT"))
    stuck = _paused().exclude(alias__in=_aliases_with("FALLBACK"))
    due = Q(next_check_at__lte=now)
    starts = (
        Q(status=Status.PENDING, provider__in=uncapped)
        & (due | Q(attempts=0))
        & ~(Q(provider__in=stuck.values("alias")) & ~Q(source=Source.SHOPPER))
    )
    resumes_and_fetches = (
        Q(status=Status.RUNNING) & due & (Q(provider_job_id="") | Q(result_ready_at__isnull=False))
    )
    # active() repeats the statuses at the top, where the (status, next_check_at) index serves.
    return TryOnJob.objects.active().unleased(now).filter(starts | resumes_and_fetches)


def _write(job: TryOnJob, *, release: bool = True, unless: Q | None = None, **fields: Any) -> bool:
    """Save ``fields`` if this worker still holds the job's lease; mirror them on ``job``.

    ``unless`` adds a condition under which nothing is written (and False returned).
    """
    if release:
        fields.update(lease_owner="", lease_until=None)
    fields["updated_at"] = timezone.now()
    rows = TryOnJob.objects.filter(pk=job.pk, lease_owner=job.lease_owner)
    written = (rows.exclude(unless) if unless is not None else rows).update(**fields)
    if written:
        for name, value in fields.items():
            setattr(job, name, value)
    elif unless is None:
        logger.warning("Job %s: lease lost, step result dropped", job.pk)
    return bool(written)


# Advancing one job ---------------------------------------------------------------------


def advance(job_id: int) -> None:
    """Take job ``job_id`` one step further, if it's active and nobody else holds it."""
    job = claim(job_id)
    if job is not None:
        _step(job)


def drain(budget: float | None = None) -> int:
    """Advance due jobs one step each, oldest first, until none is left; returns the steps.

    Past ``budget`` seconds the drain hands over to a fresh task, so no task runs into
    the cluster's timeout (``tryon.E007`` keeps it above the budget plus the longest call).
    """
    budget = tryon_settings.TICK_SECONDS if budget is None else budget
    # From here on, new work sends another drain: this one may be past the new job already.
    Lease.objects.filter(name=DRAIN_LEASE, owner=QUEUED).update(owner="", until=None)
    stop_at = time.monotonic() + budget
    steps = 0
    while batch := deque(due_for_drain()):
        if len(batch) > 1:
            # More work than this drain's next step: have another drain queued, to help on
            # another worker, and to go on at once should this worker die mid-step.
            ensure_drain()
        take, claimed = batch.popleft, 0
        while batch:
            job = take()
            if start_read(job):
                _step(job, _submit_started)
            elif claim_read(job):
                _step(job)
            else:
                # Another drain works this batch from this end: go on from the other one,
                # so that the two meet in the middle instead of colliding at every job.
                take = batch.pop if take == batch.popleft else batch.popleft
                continue
            steps, claimed = steps + 1, claimed + 1
            if time.monotonic() >= stop_at:
                ensure_drain()
                return steps
        if not claimed:
            break  # others took every job read: they are on this queue already
    return steps


def _step(job: TryOnJob, step: Callable[[TryOnJob], None] | None = None) -> None:
    """One step of a job this worker has claimed (by default, the one its row calls for)."""
    try:
        (step or _advance_claimed)(job)
    except UnknownProvider:
        _finish(
            job,
            Status.FAILED,
            PermanentError(
                "provider_error", f"The provider alias {job.provider!r} is not configured any more."
            ),
        )
    except Exception:
        # Leave the lease to expire so the job is retried later, and keep the worker alive.
        logger.exception("Job %s: unexpected error while advancing", job.pk)
        _write(
            job, next_check_at=timezone.now() + timedelta(seconds=tryon_settings.REDISPATCH_AFTER)
        )


def _advance_claimed(job: TryOnJob) -> None:
    provider = get_provider(job.provider)
    if job.deadline_at and timezone.now() >= job.deadline_at:
        _finish_failed(job, PermanentError("deadline_exceeded"), provider=provider)
    elif job.status == Status.PENDING:
        if _take_slot(job, provider):
            _submit(job, provider)
    elif not job.provider_job_id:
        # Running without a provider job id, and its lease expired: the worker died while
        # submitting. The provider may or may not have created a job, so submitting again
        # is the one place where a job can be charged twice: it is counted as uncertain.
        _count_uncertain(job)
        logger.warning(
            "Job %s: its worker died while submitting; a job may exist at %s", job.pk, job.provider
        )
        if _write(job, release=False, attempts=job.attempts + 1, provider_data=job.provider_data):
            _submit(job, provider)
    elif job.result_ready_at is None:
        if _poll(job, provider) == JobState.SUCCEEDED:
            _fetch(job, provider)
    else:
        _fetch(job, provider)


def _submit_started(job: TryOnJob) -> None:
    _submit(job, get_provider(job.provider))


def _start_fields(job: TryOnJob, now: Any, *, lease_until: Any) -> dict[str, Any]:
    """What moving a pending job to running writes."""
    return {
        "status": Status.RUNNING,
        "attempts": job.attempts + 1,
        # Due again when the lease ends: a worker that dies from here is taken over then.
        "next_check_at": lease_until,
        # The deadline runs from leaving our queue: waiting for a slot or an admin is no fault.
        "deadline_at": job.deadline_at or deadline_from(now),
    }


def _take_slot(job: TryOnJob, provider: BaseProvider) -> bool:
    """Move a pending job to running if its alias is open and has a free slot, in order."""
    now = timezone.now()
    start = _start_fields(job, now, lease_until=job.lease_until)
    cap = provider.option("MAX_CONCURRENT")
    if not cap:
        # The common case, in one UPDATE: start unless the alias is paused.
        paused = _paused().values("alias")
        if _write(job, release=False, unless=Q(provider__in=paused), **start):
            return True
    state = ProviderState.objects.filter(alias=job.provider, paused_at__isnull=False).first()
    if state is not None:
        if _fallback_alias(job, provider):
            error = AccountError(state.pause_code or "auth_failed", state.pause_reason)
            _fail_over(job, provider, error)
        elif job.source == Source.SHOPPER:  # a shopper can't wait for an admin
            _finish_failed(job, PermanentError("provider_paused"), provider=provider)
        else:
            _write(job, next_check_at=now + timedelta(seconds=tryon_settings.REDISPATCH_AFTER))
        return False
    if not cap:
        return _write(job, release=False, **start)  # resumed between the two reads
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
        if queue["running"] + queue["ahead"] >= int(cap):
            _write(job, next_check_at=now + timedelta(seconds=tryon_settings.POLL_INTERVAL))
            return False
        # From here a worker death leaves "running, no provider job id": resubmitted after the lease.
        return _write(job, release=False, **start)


def _submit(job: TryOnJob, provider: BaseProvider) -> None:
    try:
        request = build_request(job)
    except OSError as exc:  # the inputs can't be read from the storage: nothing was sent
        logger.warning("Job %s: storage error %s reading the inputs", job.pk, type(exc).__name__)
        _on_error(
            job, provider, TransientError("storage_error", no_job_created=True), submitting=True
        )
        return
    try:
        pjob = provider.submit(request)
    except ProviderError as error:
        _on_error(job, provider, error, submitting=True)
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
        "next_check_at": now + timedelta(seconds=first_poll),
    }
    # Keep the lease only when this worker goes on with the job right away.
    goes_on = pjob.is_terminal or first_poll <= 0
    if not _write(job, release=not goes_on, **fields):
        return
    signals.job_submitted.send(sender=TryOnJob, job=job)
    if not pjob.is_terminal and first_poll > 0:
        ensure_ticker()
        return
    state = _apply_state(job, provider, pjob) if pjob.is_terminal else _poll(job, provider)
    if state == JobState.SUCCEEDED:
        _fetch(job, provider)  # the result is ready already: no second message needed
    elif state is not None and not state_is_terminal(state):
        ensure_ticker()


def _poll(job: TryOnJob, provider: BaseProvider, *, release: bool = False) -> JobState | None:
    try:
        pjob = provider.poll(_provider_job(job))
    except ProviderError as error:
        _on_error(job, provider, error)
        return None
    return _apply_state(job, provider, pjob, release=release)


def _apply_state(
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
            _write(job, **ready)
        else:  # this worker fetches it right away; the final write records all of it
            for name, value in ready.items():
                setattr(job, name, value)
    elif pjob.state == JobState.FAILED:
        _finish_failed(
            job,
            pjob.error or PermanentError("provider_error"),
            provider=provider,
            credits_charged=credits,
            provider_data=data,
        )
    elif pjob.state == JobState.CANCELED:
        _finish(job, Status.CANCELED, PermanentError("canceled"), credits_charged=credits)
        signals.job_canceled.send(sender=TryOnJob, job=job)
    else:
        # Still running: this step is over, whoever called it (a worker's advance after a
        # webhook too), so the lease goes and the ticker can poll again.
        _write(
            job,
            release=True,
            provider_data=data,
            transient_errors=0,
            next_check_at=now + timedelta(seconds=tryon_settings.POLL_INTERVAL),
        )
    return pjob.state


def state_is_terminal(state: JobState) -> bool:
    return state in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELED)


def _credits_after(job: TryOnJob, provider_credits: int) -> int:
    """Credits after the provider restates a job's charge (e.g. 0 when it refunds)."""
    previous = int(job.provider_data.get("credits", 0) or 0)
    return max(0, job.credits_charged - previous + provider_credits)


def _fetch(job: TryOnJob, provider: BaseProvider) -> None:
    """Stream the finished image into storage and mark the job succeeded."""
    pjob = _provider_job(job)
    try:
        request = build_request(job)
        with provider.open_result(pjob, request) as stream:
            name = save_stream("results", _extension_of(stream), stream)
    except ProviderError as error:
        _on_error(job, provider, error)
        return
    except OSError as exc:  # the storage failed: try again later, nothing half-written is kept
        logger.warning("Job %s: storage error %s", job.pk, type(exc).__name__)
        _on_error(job, provider, TransientError("storage_error"))
        return
    extras = _fetch_extras(job, provider, pjob)
    done = {"provider_data": job.provider_data, "credits_charged": job.credits_charged}
    if not _finish(job, Status.SUCCEEDED, None, result=name, **done, **extras):
        for stored in (name, *extras.values()):
            delete_quietly(stored)  # another worker or a cancel won: leave no orphan
        return
    signals.job_succeeded.send(sender=TryOnJob, job=job)
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


# Errors, failover, terminal states ----------------------------------------------------------


def backoff(errors: int, retry_after: float | None = None) -> float:
    """Capped exponential backoff with full jitter, never shorter than ``Retry-After``."""
    cap = tryon_settings.BACKOFF_MAX
    delay = random.uniform(0, min(cap, tryon_settings.BACKOFF_BASE * 2 ** max(0, errors - 1)))
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap))
    return max(delay, 0.5)


def _on_error(
    job: TryOnJob, provider: BaseProvider, error: ProviderError, *, submitting: bool = False
) -> None:
    now = timezone.now()
    logger.info("Job %s at %s: %s error %s", job.pk, job.provider, error.kind, error.code)
    # A failed submission keeps its count of uncertain creates, whatever comes next.
    keep: dict[str, Any] = {}
    if submitting:
        if not error.no_job_created:
            # A timeout or a 500 on create: the provider may have made a job all the same.
            # Submitting again is the only option; the count shows support what to look for.
            _count_uncertain(job)
            logger.warning(
                "Job %s: %s on create; a job may exist at %s", job.pk, error.code, job.provider
            )
        keep = {"provider_data": job.provider_data}
    if error.kind == ErrorKind.PERMANENT:
        _finish_failed(job, error, provider=provider, **keep)
        return
    back_to_queue: dict[str, Any] = {}
    if submitting:
        back_to_queue = {"status": Status.PENDING, "provider_job_id": "", **keep}
    if error.kind == ErrorKind.ACCOUNT:
        pause_alias(job.provider, error)
        if _fallback_alias(job, provider):
            _fail_over(job, provider, error)
        elif job.source == Source.SHOPPER:  # a shopper can't wait for an admin
            _finish_failed(job, PermanentError("provider_paused"), provider=provider)
        else:  # the queue waits for an admin to resume the alias
            _write(
                job,
                **back_to_queue,
                error_code=error.code,
                error_message=error.message,
                next_check_at=now + timedelta(seconds=tryon_settings.REDISPATCH_AFTER),
            )
        return
    errors = job.transient_errors + 1
    if errors >= tryon_settings.MAX_TRANSIENT_ERRORS:
        if _fallback_alias(job, provider):
            _fail_over(job, provider, error)
        else:
            _finish_failed(job, error, provider=provider, **keep)
        return
    delay = backoff(errors, error.retry_after)
    if _write(
        job,
        **back_to_queue,
        transient_errors=errors,
        error_code=error.code,
        error_message=error.message,
        provider_error_code=error.provider_code,
        next_check_at=now + timedelta(seconds=delay),
    ):
        ensure_ticker()  # the retry is due in seconds: don't leave it to the sweep


def _count_uncertain(job: TryOnJob) -> None:
    """One more create that may have made a job at the provider (kept in ``provider_data``)."""
    uncertain = int(job.provider_data.get("uncertain_submissions", 0)) + 1
    job.provider_data = {**job.provider_data, "uncertain_submissions": uncertain}


def _fallback_alias(job: TryOnJob, provider: BaseProvider) -> str | None:
    fallback = provider.option("FALLBACK")
    visited = {entry.get("alias") for entry in job.provider_history} | {job.provider}
    if fallback and fallback not in visited and fallback in tryon_settings.PROVIDERS:
        return str(fallback)
    return None


def _fail_over(job: TryOnJob, provider: BaseProvider, error: ProviderError) -> None:
    target = _fallback_alias(job, provider)
    assert target is not None
    history = [
        *job.provider_history,
        {
            "alias": job.provider,
            "provider_job_id": job.provider_job_id,
            "code": error.code,
            "at": timezone.now().isoformat(),
            # Creates at that alias that may have made (and charged) a job all the same.
            "uncertain_submissions": int(job.provider_data.get("uncertain_submissions", 0)),
        },
    ]
    origin = job.provider
    if _write(
        job,
        provider=target,
        provider_job_id="",
        provider_data={},
        provider_history=history,
        status=Status.PENDING,
        transient_errors=0,
        result_ready_at=None,
        next_check_at=timezone.now(),
    ):
        signals.job_failed_over.send(
            sender=TryOnJob, job=job, from_alias=origin, to_alias=target, error_code=error.code
        )
        enqueue_advance(job.pk)


def _finish(job: TryOnJob, status: str, error: ProviderError | None, **fields: Any) -> bool:
    if error is not None:
        fields.update(
            error_code=error.code,
            error_message=error.message,
            provider_error_code=error.provider_code,
        )
    else:
        fields.update(error_code="", error_message="", provider_error_code="")
    if not _write(job, status=status, finished_at=timezone.now(), next_check_at=None, **fields):
        return False
    budget.settle(job)  # once: only the lease holder's write succeeds
    return True


def _finish_failed(
    job: TryOnJob, error: ProviderError, *, provider: BaseProvider, **fields: Any
) -> None:
    if job.provider_job_id and error.code == "deadline_exceeded" and provider.supports_cancel:
        with suppress(ProviderError):
            provider.cancel(_provider_job(job))
    if _finish(job, Status.FAILED, error, **fields):
        signals.job_failed.send(
            sender=TryOnJob, job=job, error_code=error.code, message=error.message
        )


def pause_alias(alias: str, error: ProviderError) -> None:
    """Stop sending jobs to ``alias`` until an admin resumes it; tell them once."""
    paused = ProviderState.objects.filter(alias=alias, paused_at__isnull=True).update(
        paused_at=timezone.now(), pause_code=error.code, pause_reason=str(error.message)
    )
    if not paused:
        _, created = ProviderState.objects.get_or_create(
            alias=alias,
            defaults={
                "paused_at": timezone.now(),
                "pause_code": error.code,
                "pause_reason": str(error.message),
            },
        )
        paused = int(created)
    if paused:
        logger.error("Provider alias %s paused: %s", alias, error.code)
        signals.provider_paused.send(
            sender=alias, alias=alias, code=error.code, reason=str(error.message)
        )


def resume_alias(alias: str) -> int:
    """Let ``alias`` take jobs again; its waiting jobs are dispatched. Returns how many wait."""
    ProviderState.objects.filter(alias=alias).update(paused_at=None, pause_code="", pause_reason="")
    waiting = TryOnJob.objects.filter(provider=alias, status__in=ACTIVE_STATUSES).update(
        next_check_at=timezone.now()
    )
    signals.provider_resumed.send(sender=alias, alias=alias)
    ensure_ticker()
    return waiting


def cancel(job: TryOnJob) -> bool:
    """Cancel an active job (at the provider too where it can). False if it already ended."""
    pjob = _provider_job(job) if job.provider_job_id else None
    canceled = TryOnJob.objects.filter(pk=job.pk, status__in=ACTIVE_STATUSES).update(
        status=Status.CANCELED,
        finished_at=timezone.now(),
        next_check_at=None,
        lease_owner="",
        lease_until=None,
        error_code="canceled",
        updated_at=timezone.now(),
    )
    if not canceled:
        return False
    job.refresh_from_db()
    budget.settle(job)  # once: only one UPDATE finds it active
    provider = get_provider(job.provider)
    if pjob is not None and provider.supports_cancel:
        try:
            provider.cancel(pjob)
        except ProviderError as error:
            logger.info("Job %s: provider cancel failed: %s", job.pk, error.code)
    signals.job_canceled.send(sender=TryOnJob, job=job)
    return True


# Building the provider's view of a job --------------------------------------------------


def _provider_job(job: TryOnJob) -> ProviderJob:
    return ProviderJob(
        id=job.provider_job_id,
        state=JobState.RUNNING,
        data=dict(job.provider_data),
        result_url=job.provider_data.get("result_url", ""),
    )


def _image_input(field_file: Any) -> ImageInput:
    try:
        with field_file.open("rb") as handle:
            content = handle.read()
    except OSError:
        raise
    except Exception as exc:  # e.g. boto's errors for a missing key or bucket
        raise StorageError(f"{type(exc).__name__} while reading {field_file.name}") from exc
    url = ""
    with suppress(NotImplementedError):  # storages without URLs (private local files)
        url = field_file.storage.url(field_file.name)  # its own storage: public or private
    return ImageInput(
        content=content,
        format=sniff_image_format(content[:32]) or "JPEG",
        url=url if url.startswith("https://") else "",
    )


def build_request(job: TryOnJob) -> TryOnRequest:
    """What the provider sees of a job; built once per job and worker (it reads the images)."""
    cached: TryOnRequest | None = getattr(job, "_tryon_request", None)
    if cached is not None:
        return cached
    garment = job.garment
    job._tryon_request = TryOnRequest(  # type: ignore[attr-defined]
        person=_image_input(job.person_file),
        garment=_image_input(garment.image) if garment is not None and garment.image else None,
        category=job.category,
        description=garment.description if garment is not None else "",
        prompt=job.prompt or (garment.prompt if garment is not None else ""),
        options=dict(job.options),
        name=f"django-tryon job {job.pk}",
        attempt=max(1, job.attempts),
    )
    return job._tryon_request  # type: ignore[attr-defined]


# The ticker and the sweep --------------------------------------------------------------------


def tick(budget: float | None = None) -> None:
    """Poll due running jobs and dispatch other due jobs, for up to ``budget`` seconds.

    One ticker at a time (lease). It re-enqueues itself while active jobs remain, so a
    worker is only ever held by this one task, never by each job in flight.
    """
    budget = tryon_settings.TICK_SECONDS if budget is None else budget
    owner = acquire_lease(TICK_LEASE, budget + TICK_GRACE)
    if owner is None:
        return
    try:
        stop_at = time.monotonic() + budget
        while True:
            worked = tick_once()
            if time.monotonic() >= stop_at:
                break
            nap = _seconds_to_next_due()
            if nap is None or nap > budget:
                break
            if not worked:
                left = max(0.0, stop_at - time.monotonic())
                time.sleep(min(max(nap, MIN_NAP), left, tryon_settings.POLL_INTERVAL))
    finally:
        release_lease(TICK_LEASE, owner)
    # Checked after releasing, so a job that just became due is seen here or by ensure_ticker().
    # Jobs due later than one budget away (backoff, paused alias) are the sweep's to wake.
    nap = _seconds_to_next_due()
    if nap is not None and nap <= budget:
        ensure_ticker()


def _seconds_to_next_due() -> float | None:
    # A job held by a worker is not due before its lease ends, whatever next_check_at says:
    # without this, a job in a long provider call kept the ticker passing every MIN_NAP.
    due_at = Greatest("next_check_at", Coalesce("lease_until", "next_check_at"))
    earliest = TryOnJob.objects.active().aggregate(at=Min(due_at))["at"]
    if earliest is None:
        return None
    return max(0.0, (earliest - timezone.now()).total_seconds())


def tick_once() -> int:
    """One pass: poll due running jobs here, hand other due jobs to workers. Returns jobs touched."""
    now = timezone.now()
    due = list(
        TryOnJob.objects.due(now)
        .order_by("next_check_at", "pk")
        .values_list("pk", "status", "provider", "provider_job_id", "result_ready_at")[
            : tryon_settings.POLL_BATCH_SIZE
        ]
    )
    to_poll = [
        pk
        for pk, status, _, pjid, ready in due
        if status == Status.RUNNING and pjid and ready is None
    ]
    to_dispatch = _dispatchable(
        [(pk, status, alias) for pk, status, alias, pjid, ready in due if pk not in set(to_poll)]
    )
    if to_dispatch:
        TryOnJob.objects.filter(pk__in=to_dispatch).update(
            next_check_at=now + timedelta(seconds=tryon_settings.REDISPATCH_AFTER)
        )
        for pk in to_dispatch:
            enqueue_advance(pk)
    for pk in to_poll:
        job = claim(pk)
        if job is None:
            continue
        try:
            provider = get_provider(job.provider)
            if _poll(job, provider, release=True) == JobState.SUCCEEDED:
                enqueue_advance(job.pk)  # fetching is a worker's job, not the ticker's
        except Exception:
            logger.exception("Job %s: unexpected error while polling", pk)
            _write(
                job,
                next_check_at=timezone.now() + timedelta(seconds=tryon_settings.REDISPATCH_AFTER),
            )
    return len(to_poll) + len(to_dispatch)


def _dispatchable(candidates: list[tuple[int, str, str]]) -> list[int]:
    """Due jobs worth a worker: not waiting on a paused alias or on a full concurrency cap."""
    pending_aliases = {alias for _, status, alias in candidates if status == Status.PENDING}
    if not pending_aliases:
        return [pk for pk, _, _ in candidates]
    paused = set(_paused().filter(alias__in=pending_aliases).values_list("alias", flat=True))
    free: dict[str, int] = {}
    caps = {}
    for alias in pending_aliases:
        try:
            cap = get_provider(alias).option("MAX_CONCURRENT")
        except KeyError:
            cap = None
        if cap:
            caps[alias] = int(cap)
    if caps:
        running = dict(
            TryOnJob.objects.filter(provider__in=caps, status=Status.RUNNING)
            .values("provider")
            .annotate(n=Count("pk"))
            .values_list("provider", "n")
        )
        free = {alias: cap - running.get(alias, 0) for alias, cap in caps.items()}
    chosen = []
    for pk, status, alias in candidates:
        if status == Status.PENDING:
            if alias in paused and not get_provider(alias).option("FALLBACK"):
                continue
            if alias in free:
                if free[alias] <= 0:
                    continue
                free[alias] -= 1
        chosen.append(pk)
    return chosen


def sweep() -> dict[str, int]:
    """Fail jobs past their deadline; while jobs are active, make sure the ticker runs (and a
    drain, when one is owed)."""
    create_leases()  # should a row have gone (a flush, a restore), the pipeline heals here
    now = timezone.now()
    expired = list(
        TryOnJob.objects.active().filter(deadline_at__lt=now).values_list("pk", flat=True)
    )
    for pk in expired:
        job = claim(pk)
        if job is None:  # held by a worker that may be stuck: the deadline wins all the same
            TryOnJob.objects.filter(pk=pk).update(lease_until=None)
            job = claim(pk)
        if job is not None:
            _finish_failed(
                job, PermanentError("deadline_exceeded"), provider=get_provider(job.provider)
            )
    active = TryOnJob.objects.active().exists()
    if active:
        ensure_ticker()
        if _drainable(timezone.now()).exists():
            ensure_drain()  # should a drain's message have been lost
    return {"expired": len(expired), "active": int(active)}


def on_provider_event(alias: str, provider_job_id: str) -> bool:
    """A provider told us a job changed: look at it now. False for a job we don't know."""
    pk = (
        TryOnJob.objects.filter(
            provider=alias, provider_job_id=provider_job_id, status=Status.RUNNING
        )
        .values_list("pk", flat=True)
        .first()
    )
    if pk is None:
        return TryOnJob.objects.filter(provider=alias, provider_job_id=provider_job_id).exists()
    TryOnJob.objects.filter(pk=pk).update(next_check_at=timezone.now())
    enqueue_advance(pk)
    return True
