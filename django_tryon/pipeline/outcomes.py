"""How a step ends when it doesn't simply go on: errors, backoff, failover, the terminal states."""

from __future__ import annotations

import logging
import random
from contextlib import suppress
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from .. import budget, signals
from ..conf import tryon_settings
from ..errors import ErrorCode
from ..models import ACTIVE_STATUSES, Status, TryOnJob
from ..providers.base import BaseProvider, ErrorKind, PermanentError, ProviderError
from .aliases import AliasPolicy, Verdict, pause_alias
from .claims import later, write
from .inputs import build_request, provider_job
from .wakeups import ensure_drain, ensure_ticker

logger = logging.getLogger("django_tryon.pipeline")


def backoff(errors: int, retry_after: float | None = None) -> float:
    """Capped exponential backoff with full jitter, never shorter than ``Retry-After``."""
    cap = tryon_settings.BACKOFF_MAX
    delay = random.uniform(0, min(cap, tryon_settings.BACKOFF_BASE * 2 ** max(0, errors - 1)))
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap))
    return max(delay, 0.5)


def on_error(
    job: TryOnJob, provider: BaseProvider, error: ProviderError, *, submitting: bool = False
) -> None:
    """A provider or storage error in a step: fail, back off, pause, or fail over."""
    logger.info("Job %s at %s: %s error %s", job.pk, job.provider, error.kind, error.code)
    # A failed submission keeps its count of uncertain creates, whatever comes next.
    keep: dict[str, Any] = {}
    if submitting:
        if not error.no_job_created:
            # A timeout or a 500 on create: the provider may have made a job all the same.
            # Submitting again is the only option; the count shows support what to look for.
            count_uncertain(job)
            logger.warning(
                "Job %s: %s on create; a job may exist at %s", job.pk, error.code, job.provider
            )
        keep = {"provider_data": job.provider_data}
    if error.kind == ErrorKind.PERMANENT:
        finish_failed(job, error, provider=provider, **keep)
        return
    back_to_queue: dict[str, Any] = {}
    if submitting:
        back_to_queue = {"status": Status.PENDING, "provider_job_id": "", **keep}
    if error.kind == ErrorKind.ACCOUNT:
        pause_alias(job.provider, error)
        unavailable(job, provider, error, AliasPolicy(), **back_to_queue)
        return
    errors = job.transient_errors + 1
    if errors >= tryon_settings.MAX_TRANSIENT_ERRORS:
        target = AliasPolicy().fallback(job)
        if target:
            fail_over(job, target, error)
        else:
            finish_failed(job, error, provider=provider, **keep)
        return
    if write(
        job,
        **back_to_queue,
        transient_errors=errors,
        error_code=error.code,
        error_message=error.message,
        provider_error_code=error.provider_code,
        next_check_at=later(backoff(errors, error.retry_after)),
    ):
        ensure_ticker()  # the retry is due in seconds: don't leave it to the sweep


def unavailable(
    job: TryOnJob,
    provider: BaseProvider,
    error: ProviderError,
    policy: AliasPolicy,
    **back_to_queue: Any,
) -> None:
    """``job``'s alias is paused: fail over to its fallback, fail a shopper, or wait."""
    verdict = policy.when_unavailable(job)
    if verdict == Verdict.FAIL_OVER:
        target = policy.fallback(job)
        assert target is not None
        fail_over(job, target, error)
    elif verdict == Verdict.FAIL:  # a shopper can't wait for an admin
        finish_failed(job, PermanentError("provider_paused"), provider=provider)
    else:  # the queue waits for an admin to resume the alias (resume_alias wakes it)
        write(
            job,
            **back_to_queue,
            error_code=error.code,
            error_message=error.message,
            next_check_at=later(tryon_settings.REDISPATCH_AFTER),
        )


def resubmit_failed(
    job: TryOnJob, provider: BaseProvider, error: ProviderError, **fields: Any
) -> None:
    """The provider's job failed "please retry" (``ErrorKind.RESUBMIT``): send a new one.

    ``fields`` are what the failed job's last state says (``credits_charged`` after the
    provider's refund, ``provider_data``). Each resubmission is a new create at the
    provider, after a backoff; the failed job's id is kept in ``provider_data["resubmitted"]``.
    A new create may be charged again: when what the job was charged plus one more create
    exceeds what it reserved, the difference is reserved from today's budget first (or the
    job fails ``budget_exceeded``). After ``MAX_RESUBMISSIONS`` it fails over to the alias's
    FALLBACK, or fails with ``provider_failed_repeatedly``.
    """
    data = dict(fields.pop("provider_data", job.provider_data))
    charged = int(fields.pop("credits_charged", job.credits_charged))
    earlier = list(data.get("resubmitted", []))
    limit = int(provider.option("MAX_RESUBMISSIONS", tryon_settings.MAX_RESUBMISSIONS))
    if len(earlier) >= limit:
        gave_up = PermanentError(
            ErrorCode.PROVIDER_FAILED_REPEATEDLY, provider_code=error.provider_code or error.code
        )
        target = AliasPolicy().fallback(job)
        if target:
            fail_over(job, target, gave_up, credits_charged=charged)
        else:
            finish_failed(
                job, gave_up, provider=provider, credits_charged=charged, provider_data=data
            )
        return
    try:
        per_create = provider.estimate_credits(build_request(job))
    except OSError:  # the inputs can't be read now: the alias's own estimate
        per_create = provider.estimate_credits()
    extra = max(0, charged + per_create - job.estimated_credits)
    if extra:
        try:
            budget.reserve(extra, source=job.source, at=job.created_at)
        except ValidationError as refusal:
            finish_failed(
                job,
                PermanentError(ErrorCode.BUDGET_EXCEEDED, refusal.message),
                provider=provider,
                credits_charged=charged,
                provider_data=data,
            )
            return
    failed = {
        "provider_job_id": job.provider_job_id,
        "code": error.provider_code or error.code,
        "credits": int(data.get("credits", 0) or 0),
        "at": timezone.now().isoformat(),
    }
    # What the pipeline keeps of the data; the failed job's own is the provider's, not ours.
    kept = {k: data[k] for k in ("uncertain_submissions",) if k in data}
    logger.info(
        "Job %s: %s's job %s failed (%s); resubmitting (%d of %d)",
        job.pk, job.provider, job.provider_job_id, failed["code"], len(earlier) + 1, limit,
    )  # fmt: skip
    if write(
        job,
        status=Status.PENDING,  # back to the queue: it takes a slot again, like any start
        provider_job_id="",
        provider_data={**kept, "resubmitted": [*earlier, failed]},
        credits_charged=charged,
        estimated_credits=job.estimated_credits + extra,
        result_ready_at=None,
        error_code=error.code,
        error_message=error.message,
        provider_error_code=error.provider_code,
        next_check_at=later(backoff(len(earlier) + 1, error.retry_after)),
    ):
        ensure_ticker()  # due in seconds: don't leave it to the sweep
    elif extra:
        budget.release(extra, source=job.source, day=budget.day_of(job.created_at))


def count_uncertain(job: TryOnJob) -> None:
    """One more create that may have made a job at the provider (kept in ``provider_data``)."""
    uncertain = int(job.provider_data.get("uncertain_submissions", 0)) + 1
    job.provider_data = {**job.provider_data, "uncertain_submissions": uncertain}


def fail_over(job: TryOnJob, target: str, error: ProviderError, **fields: Any) -> None:
    """Send ``job`` back to the queue at the alias ``target``, its history kept."""
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
    if write(
        job,
        provider=target,
        provider_job_id="",
        provider_data={},
        provider_history=history,
        status=Status.PENDING,
        transient_errors=0,
        result_ready_at=None,
        next_check_at=timezone.now(),
        **fields,
    ):
        signals.job_failed_over.send(
            sender=TryOnJob, job=job, from_alias=origin, to_alias=target, error_code=error.code
        )
        ensure_drain()  # a new start, like any other


def finish(job: TryOnJob, status: str, error: ProviderError | None, **fields: Any) -> bool:
    if error is not None:
        fields.update(
            error_code=error.code,
            error_message=error.message,
            provider_error_code=error.provider_code,
        )
    else:
        fields.update(error_code="", error_message="", provider_error_code="")
    if not write(job, status=status, finished_at=timezone.now(), next_check_at=None, **fields):
        return False
    budget.settle(job)  # once: only the lease holder's write succeeds
    return True


def finish_failed(
    job: TryOnJob, error: ProviderError, *, provider: BaseProvider | None, **fields: Any
) -> None:
    if (
        provider is not None
        and job.provider_job_id
        and error.code == "deadline_exceeded"
        and provider.supports_cancel
    ):
        with suppress(ProviderError):
            provider.cancel(provider_job(job))
    if finish(job, Status.FAILED, error, **fields):
        signals.job_failed.send(
            sender=TryOnJob, job=job, error_code=error.code, message=error.message
        )


def fail_unconfigured(job: TryOnJob) -> None:
    """The job's alias was removed from ``TRYON["PROVIDERS"]``: it can never run there."""
    message = f"The provider alias {job.provider!r} is not configured any more."
    finish_failed(job, PermanentError("provider_error", message), provider=None)


def cancel(job: TryOnJob) -> bool:
    """Cancel an active job (at the provider too where it can). False if it already ended."""
    pjob = provider_job(job) if job.provider_job_id else None
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
    policy = AliasPolicy()
    provider = policy.provider(job.provider)
    if pjob is not None and provider is not None and provider.supports_cancel:
        try:
            provider.cancel(pjob)
        except ProviderError as error:
            logger.info("Job %s: provider cancel failed: %s", job.pk, error.code)
    signals.job_canceled.send(sender=TryOnJob, job=job)
    if policy.cap(job.provider):
        ensure_drain()  # a slot is free: the next start on the alias may go
    return True
