"""Operational checks behind ``manage.py tryon_check``: credentials, storage, cluster.

Each check returns ``Verdict`` lines; none spends a credit. A paused alias whose
credentials check passes is resumed only when asked (``resume=True``, the command's
``--resume``): a monitoring run must not undo a pause an admin wants kept.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from .. import pipeline
from ..conf import tryon_settings
from ..models import Lease, ProviderState
from ..providers import UnknownProvider, get_provider
from ..storage import current_storage, delete_quietly, private_storage, random_name

PROBE_PREFIX = "check:"


@dataclass(frozen=True)
class Verdict:
    name: str
    ok: bool
    message: str


def check_credentials(alias: str, *, resume: bool = False) -> list[Verdict]:
    """The provider's own cheap check; with ``resume``, a paused alias that passes resumes."""
    name = f"credentials ({alias})"
    try:
        provider = get_provider(alias)
    except UnknownProvider:
        return [Verdict(name, False, f"{alias!r} is not an alias of TRYON['PROVIDERS'].")]
    result = provider.check()
    verdicts = [Verdict(name, result.ok, result.message)]
    state = ProviderState.objects.filter(alias=alias, paused_at__isnull=False).first()
    if state is not None:
        if result.ok and resume:
            waiting = pipeline.resume_alias(alias)
            verdicts.append(
                Verdict(
                    f"pause ({alias})",
                    True,
                    f"Was paused ({state.pause_code}); resumed, {waiting} job(s) go on.",
                )
            )
        else:
            advice = (
                " The credentials pass now: run with --resume to resume it." if result.ok else ""
            )
            verdicts.append(
                Verdict(
                    f"pause ({alias})",
                    False,
                    f"Paused since {state.paused_at:%Y-%m-%d %H:%M} ({state.pause_code}): "
                    f"{state.pause_reason}{advice}",
                )
            )
    return verdicts


def check_storage(*, private: bool = False) -> Verdict:
    """Save, read back and delete a small file in the app's (private) storage."""
    alias = tryon_settings.PRIVATE_STORAGE if private else tryon_settings.STORAGE
    name = f"{'private ' if private else ''}storage ({alias})"
    # The backend itself, not the alias proxy: its name is reported.
    storage = private_storage() if private else current_storage()
    payload = secrets.token_bytes(32)
    saved = ""
    try:
        saved = storage.save(random_name("check", "bin"), ContentFile(payload))
        with storage.open(saved, "rb") as handle:
            read = handle.read()
        storage.delete(saved)
        gone = not storage.exists(saved)
    except Exception as exc:  # any backend, any failure: report it, don't crash
        delete_quietly(saved or None, storage)
        return Verdict(name, False, f"Round trip failed: {type(exc).__name__}: {exc}")
    if read != payload:
        return Verdict(name, False, "Round trip failed: the file read back differs.")
    if not gone:
        return Verdict(name, False, f"Saved and read {saved}, but it still exists after delete.")
    return Verdict(name, True, f"Saved, read back and deleted a file ({type(storage).__name__}).")


def probe(token: str) -> None:
    """The cluster's side of the round trip: leave a mark any process can see."""
    Lease.objects.update_or_create(name=PROBE_PREFIX + token, defaults={"until": timezone.now()})


def _pause(seconds: float) -> None:
    time.sleep(seconds)


def check_cluster(wait: float = 10.0, *, pause: Callable[[float], None] | None = None) -> Verdict:
    """A task round trip through the broker: proof that some qcluster takes work.

    Cluster heartbeats (``Stat``) live in the Django cache with the ORM broker, which a
    local-memory cache keeps per process, so they can't prove anything here; a probe task
    that writes a row can, with any broker and any cache.
    """
    from django_q.brokers import get_broker
    from django_q.status import Stat
    from django_q.tasks import async_task

    name = "cluster"
    broker = get_broker()
    try:
        if broker.ping() is False:
            return Verdict(name, False, f"The broker ({broker.info()}) does not answer.")
        clusters = Stat.get_all(broker)
    except Exception as exc:  # e.g. Redis refusing connections
        return Verdict(name, False, f"The broker is unreachable: {type(exc).__name__}.")
    token = secrets.token_hex(8)
    async_task("django_tryon.services.checks.probe", token, task_name=f"tryon-check-{token}")
    marks = Lease.objects.filter(name=PROBE_PREFIX + token)
    stop_at = time.monotonic() + wait
    try:
        while not marks.exists():
            if time.monotonic() >= stop_at:
                seen = f" Heartbeats seen: {len(clusters)}." if clusters else ""
                return Verdict(
                    name,
                    False,
                    (
                        f"No qcluster ran a probe task within {wait:g} s on {broker.info()}.{seen} "
                        "Is `manage.py qcluster` running with these settings?"
                    ),
                )
            (pause or _pause)(0.2)
    finally:
        marks.delete()
        # Probe marks the worker wrote after we gave up are removed on the next run.
        Lease.objects.filter(
            name__startswith=PROBE_PREFIX, until__lt=timezone.now() - timedelta(hours=1)
        ).delete()
    running = f", {len(clusters)} cluster(s) reporting" if clusters else ""
    return Verdict(name, True, f"A qcluster ran a probe task via {broker.info()}{running}.")


def run_checks(
    aliases: list[str] | None = None,
    *,
    storage: bool = True,
    cluster: bool = True,
    cluster_wait: float = 10.0,
    resume: bool = False,
) -> list[Verdict]:
    """Every check for ``aliases`` (all configured aliases by default)."""
    verdicts: list[Verdict] = []
    for alias in aliases or tryon_settings.provider_aliases():
        verdicts.extend(check_credentials(alias, resume=resume))
    if storage:
        verdicts.append(check_storage())
        verdicts.append(check_storage(private=True))
    if cluster:
        verdicts.append(check_cluster(cluster_wait))
    return verdicts
