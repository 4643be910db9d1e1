"""The soak (``make soak``): two qcluster processes on Redis + Postgres share thousands of
jobs against a Magic Hour emulator with latency, while the infrastructure misbehaves.

Phase 1, the issue's soak: 2,000 jobs; Redis is killed and started again (empty) a third
of the way through, and every Postgres connection of the app is cut with
``pg_terminate_backend`` at two thirds. The periodic sweep (django-q2 schedule, once a
minute) and the leases must bring every job to its end: none lost, none processed twice.

Phase 2, the double-create window: 600 more jobs while a random qcluster worker is
SIGKILLed every couple of seconds. It counts the provider creates per job (the emulator
names each project after its job) and shows that a second create only ever happens for a
job whose submission was interrupted (``uncertain_submissions``), and how often.

It needs Postgres (``DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/tryon_soak``,
created if missing) and ``redis-server`` on PATH: it runs a Redis of its own on port 6390,
so that restarting it disturbs nobody else. Everything runs on 127.0.0.1.

    .venv/bin/python bench/soak.py [--jobs 2000] [--kill-jobs 600]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work" / "soak"
REDIS_PORT = int(os.environ.get("SOAK_REDIS_PORT", "6390"))
REDIS_URL = f"redis://127.0.0.1:{REDIS_PORT}/0"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/tryon_soak"

os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
os.environ["REDIS_URL"] = REDIS_URL
os.environ["TRYON_Q_BROKER"] = "redis"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from common import report, setup_django  # noqa: E402


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)


# Infrastructure we own ---------------------------------------------------------------------


class Redis:
    """A redis-server of our own (no persistence): restarting it loses every queued task."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            sys.exit("redis-server is not on PATH")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        client = redis.from_url(REDIS_URL)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        sys.exit(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[-1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def terminate_connections(url: str) -> int:
    """``pg_terminate_backend`` on every connection to the soak database but this one."""
    import psycopg

    name = url.rsplit("/", 1)[-1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        ).fetchall()
    return sum(1 for (ok,) in rows if ok)


def with_db_retry(call: Any, attempts: int = 20) -> Any:
    """Run a query from this process, reconnecting after the connections were cut."""
    from django.db import InterfaceError, OperationalError, close_old_connections, connection

    for attempt in range(attempts):
        try:
            return call()
        except (OperationalError, InterfaceError):
            if attempt == attempts - 1:
                raise
            connection.close()
            close_old_connections()
            time.sleep(0.2)
    return None


# The clusters --------------------------------------------------------------------------------


def start_clusters(
    count: int, name: str, tryon: dict[str, Any], storage: dict[str, Any]
) -> list[Any]:
    from django.conf import settings
    from django.db import connection

    from tests.cluster import Cluster

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "TRYON_DB_NAME": str(connection.settings_dict["NAME"]),
        "TRYON_Q_NAME": name,
        "TRYON_Q_BROKER": "redis",
        "TRYON_Q_WORKERS": "2",
        "REDIS_URL": REDIS_URL,
        "TRYON_DEFAULT_STORAGE": json.dumps(storage),
        "TRYON_OVERRIDES": json.dumps(tryon),
        "PYTHONUNBUFFERED": "1",
    }
    settings.TRYON = {**settings.TRYON, **tryon}
    return [Cluster(env, WORK / f"{name}-{i}.log").start(60) for i in range(count)]


WORKER_LINE = re.compile(r"ready for work at (\d+)")
# Where an idle django-q2 worker sleeps: on the lock of the cluster's task queue, or
# reading its pipe while holding that lock.
IDLE = ("futex", "pipe_read")


def busy_worker_pids(clusters: list[Any]) -> list[int]:
    """Worker processes that are running a task right now.

    Each worker logs "... ready for work at <pid>". Only busy ones are killed: a worker
    killed while idle may die holding the lock of the cluster's internal task queue
    (a multiprocessing.Queue), and every other worker of that cluster then waits on it
    for ever. That is django-q2's to fix (only a restart of the cluster frees it); the
    crashes measured here are those of tasks, as an out-of-memory kill or a crash is.
    """
    pids = []
    for cluster in clusters:
        children = set(cluster.child_pids())
        for pid in map(int, WORKER_LINE.findall(cluster.log)):
            try:
                wchan = Path(f"/proc/{pid}/wchan").read_text()
            except OSError:
                continue
            if pid in children and not any(word in wchan for word in IDLE):
                pids.append(pid)
    return pids


# Counting ------------------------------------------------------------------------------------


def projects_per_job(emulator: Any) -> Counter[str]:
    with emulator._lock:
        return Counter(project.name for project in emulator.projects.values())


def downloads_per_project(emulator: Any) -> Counter[str]:
    with emulator._lock:
        records = list(emulator.requests)
    return Counter(
        Path(r.path).parent.name for r in records if r.route == "download" and r.fault is None
    )


def stored_results(storage_dir: Path) -> list[Path]:
    folder = storage_dir / "tryon" / "results"
    return [p for p in folder.rglob("*.*")] if folder.exists() else []


class Sweeper:
    """Sends the sweep schedule's task every ``every`` seconds, on top of the schedule.

    The clusters evaluate schedules about every 30 s and the sweep runs once a minute, so
    recovering a lost task takes a minute or two: right for the soak, too slow for its
    smoke run in the test suite (``--sweep-every 2``). The task is the schedule row's own,
    so what runs is what the schedule would run. 0: the schedule alone.
    """

    def __init__(self, every: float) -> None:
        self.every = every
        self.last = time.monotonic()

    def __call__(self) -> None:
        if not self.every or time.monotonic() - self.last < self.every:
            return
        from django_q.models import Schedule
        from django_q.tasks import async_task

        from django_tryon.schedules import SWEEP

        self.last = time.monotonic()
        try:
            async_task(with_db_retry(lambda: Schedule.objects.get(name=SWEEP).func))
        except Exception as exc:  # Redis down on purpose: the next round sends it again
            log(f"sweep not sent: {type(exc).__name__}")


def wait_all_terminal(ids: list[int], timeout: float, label: str, on_progress: Any = None) -> float:
    from django_tryon.models import TERMINAL_STATUSES, TryOnJob

    start = time.monotonic()
    last = -1
    while True:
        done = with_db_retry(
            lambda: TryOnJob.objects.filter(pk__in=ids, status__in=TERMINAL_STATUSES).count()
        )
        if done != last:
            log(f"{label}: {done}/{len(ids)} jobs ended")
            last = done
        if on_progress is not None:
            on_progress(done)
        if done == len(ids):
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"{label}: {len(ids) - done} jobs still active after {timeout} s")
        time.sleep(2)


def audit(
    ids: list[int], emulator: Any, storage_dir: Path, files_before: set[Path]
) -> dict[str, Any]:
    """Per job: one terminal state, one result, projects at the provider, downloads."""
    from django_tryon.models import TERMINAL_STATUSES, Status, TryOnJob

    jobs = list(
        TryOnJob.objects.filter(pk__in=ids).values(
            "pk", "status", "result", "provider_job_id", "provider_data", "attempts", "error_code"
        )
    )
    projects = projects_per_job(emulator)
    downloads = downloads_per_project(emulator)
    results = {j["result"] for j in jobs if j["result"]}
    files = {str(p.relative_to(storage_dir)) for p in stored_results(storage_dir)} - {
        str(p.relative_to(storage_dir)) for p in files_before
    }
    double = [j for j in jobs if projects[f"django-tryon job {j['pk']}"] > 1]
    in_window = [j for j in double if j["provider_data"].get("uncertain_submissions", 0) >= 1]
    return {
        "jobs": len(jobs),
        "succeeded": sum(1 for j in jobs if j["status"] == Status.SUCCEEDED),
        "failed": sum(1 for j in jobs if j["status"] == Status.FAILED),
        "lost": sum(1 for j in jobs if j["status"] not in TERMINAL_STATUSES)
        + (len(ids) - len(jobs)),
        "errors": dict(Counter(j["error_code"] for j in jobs if j["status"] != Status.SUCCEEDED)),
        "double_creates": len(double),
        "double_creates_in_window": len(in_window),
        "double_creates_outside_window": len(double) - len(in_window),
        "uncertain_jobs": sum(1 for j in jobs if j["provider_data"].get("uncertain_submissions")),
        "results_shared": len(jobs) - len({j["result"] for j in jobs})
        if all(j["result"] for j in jobs)
        else 0,
        "downloads_repeated": sum(1 for j in jobs if downloads[j["provider_job_id"]] > 1),
        "orphan_files": len(files - results),
        "missing_files": len(results - files),
    }


def measure_window(emulator: Any, garment: Any, photo: Any, samples: int = 50) -> dict[str, float]:
    """How long the double-create window is, against how long a submission takes.

    The window opens when the provider's answer arrives and closes when the UPDATE that
    records its id commits: timed here on this database, as the pipeline runs it
    (``_write`` of the id and data), next to the provider call of a whole submission.
    """
    import statistics

    from django.utils import timezone

    from django_tryon import pipeline
    from django_tryon.models import TryOnJob
    from django_tryon.providers import get_provider
    from django_tryon.services import request_tryon

    provider = get_provider("magichour")
    calls, writes = [], []
    for i in range(samples):
        job = request_tryon(garment, photo, options={"window": i})
        job.lease_owner = "window"
        TryOnJob.objects.filter(pk=job.pk).update(lease_owner="window")
        request = pipeline.build_request(job)
        started = time.perf_counter()
        answer = provider.submit(request)
        answered = time.perf_counter()
        pipeline.write(
            job,
            release=False,
            provider_job_id=answer.id,
            provider_data={**answer.data, "credits": answer.credits},
            submitted_at=timezone.now(),
        )
        writes.append((time.perf_counter() - answered) * 1000)
        calls.append((answered - started) * 1000)
    return {
        "submit_ms": round(statistics.median(calls), 1),
        "window_ms": round(statistics.median(writes), 2),
        "window_share": round(statistics.median(writes) / statistics.median(calls), 4),
    }


# The run -------------------------------------------------------------------------------------


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # so that the clusters and Redis are stopped


def main() -> None:
    from django import db

    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--kill-jobs", type=int, default=600)
    parser.add_argument("--kill-every", type=float, default=2.0, help="seconds between kills")
    parser.add_argument("--latency", type=float, default=3.0, help="emulator seconds per job")
    parser.add_argument("--timeout", type=float, default=1500.0)
    parser.add_argument(
        "--sweep-every",
        type=float,
        default=0.0,
        help="also send the sweep task every N seconds (0: the schedule alone)",
    )
    parser.add_argument(
        "--redispatch-after", type=float, default=15.0, help="TRYON['REDISPATCH_AFTER']"
    )
    args = parser.parse_args()

    WORK.mkdir(parents=True, exist_ok=True)
    for old in WORK.glob("*.log"):
        old.unlink()
    storage_dir = WORK / "media"
    shutil.rmtree(storage_dir, ignore_errors=True)
    storage_dir.mkdir()
    db_url = os.environ["DATABASE_URL"]
    ensure_database(db_url)
    redis_server = Redis(REDIS_PORT)
    redis_server.start()
    clusters: list[Any] = []
    try:
        setup_django()
        import logging

        from django.conf import settings
        from django_q.conf import Conf

        from django_tryon.schedules import register_schedules
        from django_tryon.services import request_tryon
        from django_tryon.testing.emulators import MagicHourEmulator
        from tests.fixtures import create_garment, create_model_photo
        from tests.shop.models import Product

        logging.getLogger("django_tryon.testing").setLevel(logging.WARNING)
        logging.getLogger("django-q").setLevel(logging.WARNING)
        storage = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(storage_dir)},
        }
        # Both of the app's storages in one folder the clusters share (tests/settings.py).
        settings.STORAGES = {**settings.STORAGES, "default": storage, "tryon_private": storage}
        name = f"soak-{uuid.uuid4().hex[:8]}"
        Conf.CLUSTER_NAME, Conf.ORM, Conf.REDIS = name, None, REDIS_URL
        register_schedules()  # the sweep runs on the clusters of this queue

        emulator = MagicHourEmulator(latency=args.latency).start()
        tryon = {
            "DEFAULT_PROVIDER": "magichour",
            "PROVIDERS": {
                "sandbox": {"BACKEND": "django_tryon.providers.sandbox.SandboxProvider"},
                "magichour": {
                    "BACKEND": "django_tryon.providers.magichour.MagicHourProvider",
                    "API_KEY": emulator.api_key,
                    "BASE_URL": emulator.base_url,
                    "ALLOW_PRIVATE_URLS": True,
                    "FIRST_POLL_AFTER": args.latency,
                    "TIMEOUT": 5,
                },
            },
            "LEASE_SECONDS": 35,
            "REDISPATCH_AFTER": args.redispatch_after,
            "TICK_SECONDS": 10,
            "POLL_INTERVAL": 1.0,
            "SWEEP_MINUTES": 1,
            "JOB_DEADLINE": 3600,
        }
        clusters = start_clusters(2, name, tryon, storage)
        log(f"2 clusters on queue {name}, Redis on {REDIS_PORT}, {db_url.rsplit('@', 1)[-1]}")

        garment = create_garment(Product.objects.create(name="Soak shirt"))
        photo = create_model_photo()

        # Phase 1 --------------------------------------------------------------------------
        files_before = set(stored_results(storage_dir))
        started = time.monotonic()
        ids: list[int] = []
        events: list[str] = []
        redis_restarted = terminated = False
        for i in range(args.jobs):
            ids.append(
                with_db_retry(lambda i=i: request_tryon(garment, photo, options={"soak": i})).pk
            )
        log(f"phase 1: {len(ids)} jobs requested in {time.monotonic() - started:.0f} s")

        sweep = Sweeper(args.sweep_every)

        # The faults come while the clusters are busiest: a third and two thirds done.
        def chaos(done: int) -> None:
            nonlocal redis_restarted, terminated
            sweep()
            if not redis_restarted and done >= len(ids) // 3:
                redis_server.kill()
                time.sleep(2)
                redis_server.start()
                redis_restarted = True
                events.append(f"redis killed and restarted empty at {done} jobs done")
                log(events[-1])
            elif redis_restarted and not terminated and done >= 2 * len(ids) // 3:
                count = terminate_connections(db_url)
                db.connection.close()  # ours was cut too: the next query here opens a new one
                terminated = True
                events.append(f"pg_terminate_backend cut {count} connections at {done} jobs done")
                log(events[-1])

        wait_all_terminal(ids, args.timeout, "phase 1", on_progress=chaos)
        took = time.monotonic() - started
        one = audit(ids, emulator, storage_dir, files_before)
        one.update(clusters=len(clusters), seconds=round(took), events=events)
        log(f"phase 1: {json.dumps(one)}")

        # Phase 2 --------------------------------------------------------------------------
        files_before = set(stored_results(storage_dir))
        started = time.monotonic()
        kill_ids = [
            with_db_retry(lambda i=i: request_tryon(garment, photo, options={"kill": i})).pk
            for i in range(args.kill_jobs)
        ]
        kills = 0
        from django_tryon.models import TERMINAL_STATUSES, TryOnJob

        rng = random.Random(20261122)
        while with_db_retry(
            lambda: (
                TryOnJob.objects.filter(pk__in=kill_ids)
                .exclude(status__in=TERMINAL_STATUSES)
                .exists()
            )
        ):
            if time.monotonic() - started > args.timeout:
                raise TimeoutError("phase 2 did not finish")
            pids = busy_worker_pids(clusters)
            if pids:
                victim = rng.choice(pids)
                try:
                    os.kill(victim, signal.SIGKILL)
                    kills += 1
                except ProcessLookupError:
                    pass
            sweep()
            time.sleep(rng.uniform(0.5, 1.5) * args.kill_every)
        two = audit(kill_ids, emulator, storage_dir, files_before)
        two.update(kills=kills, seconds=round(time.monotonic() - started))
        for cluster in clusters:  # nobody else works on the jobs timed below
            cluster.stop()
        clusters = []
        two.update(measure_window(emulator, garment, photo))
        log(f"phase 2: {json.dumps(two)}")
    finally:
        for cluster in clusters:
            cluster.stop()
        redis_server.kill()

    note = (
        f"{one['jobs']} jobs, {one['clusters']} clusters (2 workers each), redis broker + postgres, "
        f"emulator latency {args.latency:g} s; {'; '.join(one['events'])}; "
        f"succeeded {one['succeeded']}, failed {one['failed']}, lost {one['lost']}, "
        f"double creates {one['double_creates']}, repeated downloads {one['downloads_repeated']}, "
        f"orphan files {one['orphan_files']}, {one['seconds']} s"
    )
    report("soak_lost_or_duplicated", one["lost"] + one["double_creates"], one["jobs"],
           "jobs lost or created twice / jobs", note)  # fmt: skip
    note = (
        f"{two['jobs']} jobs, {two['kills']} random worker SIGKILLs; double creates "
        f"{two['double_creates']} (in the window {two['double_creates_in_window']}, outside "
        f"{two['double_creates_outside_window']}), jobs with uncertain submissions "
        f"{two['uncertain_jobs']}, lost {two['lost']}, failed {two['failed']}, "
        f"orphan files {two['orphan_files']}, {two['seconds']} s; the window (answer to committed "
        f"id) lasts {two['window_ms']} ms of a {two['submit_ms']} ms submission "
        f"({two['window_share']:.2%})"
    )
    report("soak_kills_double_creates", two["double_creates"], two["kills"],
           "jobs created twice / worker kills", note)  # fmt: skip
    ok = (
        one["lost"] == 0
        and one["double_creates"] == 0
        and two["lost"] == 0
        and two["double_creates_outside_window"] == 0
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
