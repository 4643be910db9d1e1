"""SIGKILL a qcluster worker at each step of a job, on the ORM broker (Postgres) and on Redis.

The crash points are test-only subclasses (``crashing.py``) that a real ``qcluster``
subprocess imports by name; each kills the worker it runs in, once. The sentinel of the
cluster starts a new worker; the whole cluster is also killed and started again half-way,
as a host restart would. After that every job must end in exactly one terminal state,
with the result stored once, and the emulator's count of create calls per job shows what
each crash cost:

- a crash before the provider answered costs nothing (one create in all);
- a crash *after the provider accepted the job and before its id was saved* is the one
  window where a job is created twice. The pipeline can't know whether the first create
  happened, so it submits again after the lease, and counts it in
  ``provider_data["uncertain_submissions"]`` so that support can find the spare job.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Count

from django_tryon import pipeline
from django_tryon.models import TERMINAL_STATUSES, Status, TryOnJob
from django_tryon.schedules import register_schedules
from django_tryon.services import request_tryon
from tests.availability import require_postgres
from tests.cluster import wait_until
from tests.reliability.crashing import crashes
from tests.reliability.figures import record
from tests.reliability.support import creates_for, projects_named

pytestmark = [pytest.mark.cluster, pytest.mark.postgres]

CRASHING_MH = "tests.reliability.crashing.CrashingMagicHour"
CRASHING_CC = "tests.reliability.crashing.CrashingChangeClothes"
CRASHING_FA = "tests.reliability.crashing.CrashingFashn"
CRASHING_VERTEX = "tests.reliability.crashing.CrashingVertex"
CRASHING_FILES = "tests.reliability.crashing.CrashingFileSystemStorage"

# Per alias: the crash points that exist for it. "magichour" polls in the submitting worker
# (FIRST_POLL_AFTER 0), so its download and save follow at once; "mh_ticker" (same
# emulator, a second account as far as the app knows) leaves polls to the ticker, which
# is the process a mid-poll kill takes down. Change Clothes is synchronous: no poll.
# FASHN is asynchronous like Magic Hour, with "fa_ticker" for its mid-poll kill.
POINTS = {
    "magichour": ("before_submit", "after_create", "mid_download", "mid_save"),
    "mh_ticker": ("mid_poll",),
    "changeclothes": ("before_submit", "after_create", "mid_download", "mid_save"),
    "fashn": ("before_submit", "after_create", "mid_download", "mid_save"),
    "fa_ticker": ("mid_poll",),
    # Vertex answers with the picture itself: nothing to download, and a worker that dies
    # while saving it takes the only copy along, so the next one asks Google again.
    "vertex": ("before_submit", "after_create", "mid_save"),
}
# Aliases whose requests carry no job name: their creates are counted in total.
UNNAMED = {
    "changeclothes": ("changeclothes",),
    "fashn": ("fashn", "fa_ticker"),
    "vertex": ("vertex",),
}
# Provider creates per job: 2 only where the provider accepted before the worker died
# (and for Vertex, where the worker died holding the only copy of the picture).
CREATES = {"after_create": 2}
VERTEX_CREATES = {**CREATES, "mid_save": 2}
# Resubmissions counted as uncertain: the worker died holding a claim to submit.
UNCERTAIN = {"before_submit": 1, "after_create": 1}

# Short enough for CI, valid for the system checks the cluster runs (tryon.E011): calls
# take at most TIMEOUT 2 s, so a lease of 32 s.
TIMING = {
    "LEASE_SECONDS": 32,
    "REDISPATCH_AFTER": 3,
    "TICK_SECONDS": 3,
    "POLL_INTERVAL": 0.2,
    "BACKOFF_BASE": 0.2,
    "BACKOFF_MAX": 1.0,
}


def crash_settings(mh: Any, cc: Any, fa: Any, vertex: Any, crash_dir: Path) -> dict[str, Any]:
    common = {"ALLOW_PRIVATE_URLS": True, "TIMEOUT": 2, "CRASH_DIR": str(crash_dir)}
    magichour = {"BACKEND": CRASHING_MH, "API_KEY": mh.api_key, "BASE_URL": mh.base_url, **common}
    fashn = {"BACKEND": CRASHING_FA, "API_KEY": fa.api_key, "BASE_URL": fa.base_url, **common}
    return {
        "DEFAULT_PROVIDER": "magichour",
        "PROVIDERS": {
            "sandbox": {"BACKEND": "django_tryon.providers.sandbox.SandboxProvider", "TIMEOUT": 2},
            "magichour": {**magichour, "FIRST_POLL_AFTER": 0},
            "mh_ticker": {**magichour, "FIRST_POLL_AFTER": 0.5},
            "fashn": {**fashn, "FIRST_POLL_AFTER": 0},
            "fa_ticker": {**fashn, "FIRST_POLL_AFTER": 0.5},
            "vertex": {
                "BACKEND": CRASHING_VERTEX,
                "PROJECT": vertex.project,
                "ACCESS_TOKEN": vertex.access_token,
                "BASE_URL": vertex.base_url,
                **common,
            },
            "changeclothes": {
                "BACKEND": CRASHING_CC,
                "API_KEY": cc.api_key,
                "BASE_URL": cc.base_url,
                **common,
            },
        },
        **TIMING,
    }


def start(qcluster: Any, broker: str, settings: dict[str, Any], storage: dict[str, Any]) -> Any:
    # Results are job files: they go to the private storage, here the one that crashes.
    cluster = qcluster(broker=broker, tryon=settings, private_storage=storage, workers=2)
    register_schedules()  # the sweep's schedule goes to this test's cluster (unique name)
    return cluster


def diagnose(ids: list[int], *extra: Any) -> str:
    from django.utils import timezone
    from django_q.models import Schedule

    from django_tryon.models import Lease

    now = timezone.now()
    rows = TryOnJob.objects.filter(pk__in=ids).order_by("pk")
    lines = [f"now {now:%H:%M:%S.%f}", *map(str, extra)]
    for job in rows:
        lines.append(
            f"{job.pk} {job.status} pjid={bool(job.provider_job_id)} ready={job.result_ready_at} "
            f"lease={job.lease_until} owner={job.lease_owner} next={job.next_check_at} "
            f"err={job.error_code} {job.options}"
        )
    lines += [f"lease {lease.name} {lease.owner} {lease.until}" for lease in Lease.objects.all()]
    lines += [f"schedule {s.name} next={s.next_run}" for s in Schedule.objects.all()]
    return "\n".join(lines)


def terminal(ids: list[int]) -> int:
    return TryOnJob.objects.filter(pk__in=ids, status__in=TERMINAL_STATUSES).count()


@pytest.mark.parametrize("broker", ["orm", pytest.param("redis", marks=pytest.mark.redis)])
def test_a_worker_killed_at_each_step(
    qcluster,
    magichour_emulator,
    changeclothes_emulator,
    fashn_emulator,
    vertex_emulator,
    garment,
    model_photo,
    tmp_path,
    broker,
):
    require_postgres()
    crash_dir = tmp_path / "crashes"
    crash_dir.mkdir()
    media = tmp_path / "results"  # the private storage's folder
    storage = {"BACKEND": CRASHING_FILES, "OPTIONS": {"location": str(media)}}
    settings = crash_settings(
        magichour_emulator, changeclothes_emulator, fashn_emulator, vertex_emulator, crash_dir
    )
    cluster = start(qcluster, broker, settings, storage)

    jobs: dict[tuple[str, str], TryOnJob] = {}
    for alias, points in POINTS.items():
        for point in (*points, "none"):  # "none": a job beside them that no crash touches
            options = {"crash": point} if point != "none" else {"n": alias}
            jobs[alias, point] = request_tryon(
                garment, model_photo, provider=alias, options=options
            )
    ids = [job.pk for job in jobs.values()]
    expected_kills = sum(len(points) for points in POINTS.values())

    # Every crash point fires (each kills a worker, which the sentinel replaces)...
    assert wait_until(lambda: len(crashes(crash_dir)) == expected_kills, 60), diagnose(
        ids, crashes(crash_dir)
    )
    # ...then, once the jobs beside them are done (a kill in a create would cost a second
    # create, by chance), the whole cluster dies and a new one takes over, as after a reboot.
    untouched = [job.pk for (alias, point), job in jobs.items() if point == "none"]
    # Two ticker kills (mid_poll at Magic Hour and at FASHN) may each hold the ticker
    # for a lease (32 s) before another ticker runs.
    assert wait_until(lambda: terminal(untouched) == len(untouched), 80), diagnose(ids)
    cluster.kill()
    restarted = time.monotonic()
    start(qcluster, broker, settings, storage)

    def recovered() -> bool:
        # The periodic sweep, as its schedule runs it (django-q2 runs schedules at most
        # once a minute: here every second, so that CI waits for the leases, not the clock).
        pipeline.sweep()
        return terminal(ids) == len(ids)

    assert wait_until(recovered, 120, interval=1), diagnose(ids)
    recovery = time.monotonic() - restarted

    found = {}
    for (alias, point), job in jobs.items():
        job.refresh_from_db()
        found[alias, point] = job
        assert job.status == Status.SUCCEEDED, (alias, point, job.error_code, job.error_message)
        assert job.result and (media / job.result.name).exists()
        if alias in ("magichour", "mh_ticker"):
            creates = creates_for(magichour_emulator, job)
            assert projects_named(magichour_emulator, job) == creates
        else:
            creates = None  # counted in total below (these requests carry no name)
        if creates is not None:
            assert creates == CREATES.get(point, 1), (alias, point, creates)
        # The resubmission after a crash that may have left a job at the provider is counted.
        uncertain = job.provider_data.get("uncertain_submissions", 0)
        assert uncertain == UNCERTAIN.get(point, 0), (
            alias,
            point,
            job.provider_data,
        )

    for emulator, aliases, creates in (
        (changeclothes_emulator, UNNAMED["changeclothes"], CREATES),
        (fashn_emulator, UNNAMED["fashn"], CREATES),
        (vertex_emulator, UNNAMED["vertex"], VERTEX_CREATES),
    ):
        expected = sum(
            creates.get(point, 1) for alias in aliases for point in (*POINTS[alias], "none")
        )
        assert emulator.create_calls == expected, (emulator.name, emulator.create_calls)
    assert len(fashn_emulator.predictions) == fashn_emulator.create_calls
    # Exactly one terminal state each, one stored result each, one provider job id each.
    assert TryOnJob.objects.filter(pk__in=ids).values("provider_job_id").distinct().count() == len(
        ids
    )
    by_status = dict(
        TryOnJob.objects.filter(pk__in=ids).values_list("status").annotate(n=Count("pk"))
    )
    assert by_status == {Status.SUCCEEDED: len(ids)}
    results = {str(job.result.name) for job in found.values()}
    on_disk = {str(p.relative_to(media)) for p in (media / "tryon" / "results").rglob("*.*")}
    orphans = on_disk - results
    # A kill in the middle of a save leaves the partial file it was writing (local disk
    # only: nothing refers to it, nothing serves it). Nothing else is left over.
    assert len(orphans) <= len(POINTS), orphans

    record(
        f"worker_crash_{broker}",
        jobs=len(ids),
        kills=expected_kills + 1,
        jobs_lost=0,
        double_creates=sum(1 for (a, p) in jobs if p == "after_create"),
        vertex_second_pictures=sum(1 for (a, p) in jobs if a == "vertex" and p == "mid_save"),
        double_creates_outside_window=0,
        partial_files_left=len(orphans),
        recovery_seconds=round(recovery, 1),
    )
