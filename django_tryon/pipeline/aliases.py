"""The alias policy: what each provider alias lets a job do right now.

One object answers every question the pipeline asks of an alias: is it configured, is it
capped (``MAX_CONCURRENT``) and how many slots are free, is it paused, has it a
``FALLBACK``, and may a job wait for it. Drains, slot-taking and error handling all ask
it, in Python (``verdict``) or as a query (``startable``), so they can't disagree.

An alias that is no longer in ``TRYON["PROVIDERS"]`` (removed after its jobs were made)
is answered here too: its jobs are failed by the first worker that takes them, and
nothing else looks it up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from enum import StrEnum
from functools import cached_property
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from .. import signals
from ..conf import tryon_settings
from ..models import ACTIVE_STATUSES, ProviderState, Source, Status, TryOnJob
from ..providers import get_provider
from ..providers.base import BaseProvider, ProviderError
from .wakeups import ensure_drain, ensure_ticker

logger = logging.getLogger("django_tryon.pipeline")


class Verdict(StrEnum):
    """What a pending job may do at its alias now."""

    START = "start"  # go ahead (on a capped alias: once a slot is free, in order)
    FAIL_OVER = "fail_over"  # the alias is paused: move to its fallback
    WAIT = "wait"  # the alias is paused: wait for an admin to resume it
    FAIL = "fail"  # the alias is paused and a shopper can't wait: fail now
    UNCONFIGURED = "unconfigured"  # the alias was removed from the settings: fail now


def paused_aliases() -> Any:
    """Paused aliases, as a subquery (a write can be made conditional on it)."""
    return ProviderState.objects.filter(paused_at__isnull=False).values("alias")


class AliasPolicy:
    """A snapshot of the aliases' settings; their pause state is read once, when first asked."""

    def __init__(self) -> None:
        self.providers: dict[str, dict[str, Any]] = dict(tryon_settings.PROVIDERS)

    @cached_property
    def paused(self) -> dict[str, ProviderState]:
        states = ProviderState.objects.filter(paused_at__isnull=False)
        return {state.alias: state for state in states}

    def is_configured(self, alias: str) -> bool:
        return alias in self.providers

    def provider(self, alias: str) -> BaseProvider | None:
        """The backend of ``alias``; None once it is no longer configured."""
        return get_provider(alias) if self.is_configured(alias) else None

    def cap(self, alias: str) -> int | None:
        cap = self.providers.get(alias, {}).get("MAX_CONCURRENT")
        return int(cap) if cap else None

    def is_paused(self, alias: str) -> bool:
        return alias in self.paused

    def fallback(self, job: TryOnJob) -> str | None:
        """The alias ``job`` fails over to: configured, and not one it has been at already."""
        target = self.providers.get(job.provider, {}).get("FALLBACK")
        visited = {entry.get("alias") for entry in job.provider_history} | {job.provider}
        if target and target not in visited and target in self.providers:
            return str(target)
        return None

    @staticmethod
    def may_wait(job: TryOnJob) -> bool:
        """Whether ``job`` may wait for an admin: a shopper on the product page can't."""
        return job.source != Source.SHOPPER

    def when_unavailable(self, job: TryOnJob) -> Verdict:
        """``job``'s alias is paused: what then (fail over, wait, or fail)."""
        if self.fallback(job):
            return Verdict.FAIL_OVER
        return Verdict.WAIT if self.may_wait(job) else Verdict.FAIL

    def verdict(self, job: TryOnJob) -> Verdict:
        if not self.is_configured(job.provider):
            return Verdict.UNCONFIGURED
        if self.is_paused(job.provider):
            return self.when_unavailable(job)
        return Verdict.START

    # The same answers as queries, for drains ------------------------------------------

    def free_slots(self) -> dict[str, int]:
        """Free slots of each capped alias (one query; none when no alias is capped)."""
        caps = {alias: cap for alias in self.providers if (cap := self.cap(alias))}
        if not caps:
            return {}
        running = dict(
            TryOnJob.objects.filter(provider__in=caps, status=Status.RUNNING)
            .values("provider")
            .annotate(n=Count("pk"))
            .values_list("provider", "n")
        )
        return {alias: cap - running.get(alias, 0) for alias, cap in caps.items()}

    def startable(self, free: dict[str, int]) -> Q:
        """Pending jobs whose verdict is not to wait (and, when capped, whose alias has a slot).

        ``verdict`` as a query. A job that has been at its fallback already is answered WAIT
        or FAIL by ``verdict``, which a query can't see (that's in ``provider_history``): it
        is taken, and its step decides.
        """
        configured = list(self.providers)
        with_slots = [alias for alias in configured if free.get(alias, 1) > 0]
        rescued = [a for a in configured if self.providers[a].get("FALLBACK") in self.providers]
        paused = Q(provider__in=paused_aliases())
        return (
            ~Q(provider__in=configured)  # UNCONFIGURED: the step fails them
            | (Q(provider__in=with_slots) & ~paused)  # START
            | (paused & (Q(provider__in=rescued) | Q(source=Source.SHOPPER)))  # FAIL_OVER, FAIL
        )

    @staticmethod
    def within_caps(rows: Iterable[tuple[int, str, str]], free: dict[str, int]) -> list[int]:
        """Of ``(pk, alias, status)`` rows in order, those a drain takes: at most the free
        slots' worth of starts on each capped alias."""
        left = dict(free)
        chosen = []
        for pk, alias, status in rows:
            if status == Status.PENDING and alias in left:
                if left[alias] <= 0:
                    continue
                left[alias] -= 1
            chosen.append(pk)
        return chosen


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
            sender=TryOnJob, alias=alias, code=error.code, reason=str(error.message)
        )


def resume_alias(alias: str) -> int:
    """Let ``alias`` take jobs again; its waiting jobs are due at once. Returns how many wait."""
    ProviderState.objects.filter(alias=alias).update(paused_at=None, pause_code="", pause_reason="")
    waiting = TryOnJob.objects.filter(provider=alias, status__in=ACTIVE_STATUSES).update(
        next_check_at=timezone.now()
    )
    signals.provider_resumed.send(sender=TryOnJob, alias=alias)
    ensure_drain()  # the waiting starts
    ensure_ticker()  # the waiting polls
    return waiting
