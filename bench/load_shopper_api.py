"""Load on the shopper API: 50 concurrent shoppers for 60 s against gunicorn + Postgres.

Each client is one browser session on loopback: it uploads a photo (``POST tryon/jobs/``),
polls the status as the widget does (``poll_after``), fetches the finished picture, and
starts again; when a rate limit answers 429 it waits as ``Retry-After`` says (capped) and
tries again. A qcluster on the sandbox provider does the work behind the API.

Reported: the error rate (5xx, connection errors, unexpected answers: goal 0), the p95
latency of every request, and that the rate limits held: no session and no client
address got more jobs in a window than ``RATE_LIMITS`` allows (counted in the database),
with every refusal a 429 carrying Retry-After. The baseline is the p95 of one client alone.

Needs Postgres (``DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/tryon_load``,
created if missing) and Redis (``REDIS_URL``) for the rate-limit cache shared by the
gunicorn workers (a per-process cache would let each worker count on its own) and the
task queue. Only this run's keys are deleted from Redis afterwards.

    .venv/bin/python bench/load_shopper_api.py [--clients 50] [--seconds 60]

This module is also the server's settings module (``DJANGO_SETTINGS_MODULE`` for gunicorn
and the qcluster): the test settings, with the shared cache and the limits of the run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/tryon_load"
os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
sys.path.insert(0, str(ROOT))

# Settings (imported by gunicorn and qcluster through DJANGO_SETTINGS_MODULE) ------------------

if os.environ.get("TRYON_LOAD_RUN"):
    from tests.settings import *  # noqa: F403
    from tests.settings import DATABASES, TRYON

    DEBUG = False
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "KEY_PREFIX": os.environ["TRYON_LOAD_RUN"],
        }
    }
    TRYON.update(
        {
            "PROVIDERS": {
                "sandbox": {
                    "BACKEND": "django_tryon.providers.sandbox.SandboxProvider",
                    "LATENCY": 2,
                }
            },
            "RATE_LIMITS": {
                "SESSION": os.environ.get("TRYON_LOAD_SESSION_LIMIT", "4/m"),
                "IP": os.environ.get("TRYON_LOAD_IP_LIMIT", "120/m"),
            },
            "POLL_INTERVAL": 0.5,
            "TICK_SECONDS": 5,
        }
    )


# The run -------------------------------------------------------------------------------------

import argparse  # noqa: E402
import json  # noqa: E402
import secrets  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

PYTHON = sys.executable
EXPECTED = {200, 201, 204, 302, 429}


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[-1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    limited_without_retry_after: int = 0
    jobs_finished: int = 0

    def add(self, kind: str, seconds: float, status: int | str) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)
            self.statuses[f"{kind} {status}"] += 1
            if status not in EXPECTED:
                self.errors.append(f"{kind} {status}")

    @property
    def all_latencies(self) -> list[float]:
        return [x for values in self.latencies.values() for x in values]

    @property
    def requests(self) -> int:
        return len(self.all_latencies)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else (values or [0.0])[0]


def photo(seed: int) -> bytes:
    from tests.fixtures import make_image

    rng = __import__("random").Random(seed)
    return make_image(
        (640, 800), color=(rng.randrange(256), rng.randrange(256), rng.randrange(256))
    )


def client(base: str, garment: int, stop_at: float, stats: Stats, seed: int) -> None:
    """One shopper: upload, poll until it ends, fetch the picture, again until the time is up."""
    import requests

    session = requests.Session()
    token = secrets.token_hex(16)  # the CSRF cookie and header a browser would send
    session.cookies.set("csrftoken", token)
    session.headers["X-CSRFToken"] = token
    n = 0

    def call(kind: str, method: str, url: str, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            response = session.request(
                method, base + url, timeout=30, allow_redirects=False, **kwargs
            )
        except requests.RequestException as exc:
            stats.add(kind, time.perf_counter() - started, type(exc).__name__)
            return None
        stats.add(kind, time.perf_counter() - started, response.status_code)
        return response

    while time.monotonic() < stop_at:
        n += 1
        picture = photo(seed * 100_000 + n)
        created = call(
            "create",
            "POST",
            "/tryon/jobs/",
            data={"garment": garment, "consent": "1"},
            files={"photo": ("me.jpg", picture, "image/jpeg")},
        )
        if created is None:
            continue
        if created.status_code == 429:
            if not created.headers.get("Retry-After"):
                with stats.lock:
                    stats.limited_without_retry_after += 1
            wait = min(float(created.headers.get("Retry-After") or 1), 3.0)
            time.sleep(min(wait, max(0.0, stop_at - time.monotonic())))
            continue
        if created.status_code != 201:
            continue
        body = created.json()
        while time.monotonic() < stop_at:
            time.sleep((body.get("poll_after") or 1000) / 1000)
            status = call("status", "GET", body["url"])
            if status is None or status.status_code != 200:
                break
            body = status.json()
            if body["poll_after"] is None:
                if body.get("result_url"):
                    call("result", "GET", body["result_url"])
                with stats.lock:
                    stats.jobs_finished += 1
                break


def delete_keys(pattern: str) -> None:
    import redis

    client = redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    for key in client.scan_iter(pattern):
        client.delete(key)


def limits_held(session_limit: str, ip_limit: str) -> dict[str, Any]:
    """Jobs created per session and per window, from the database: never over the limit."""
    from django_tryon.models import TryOnJob

    def parse(value: str) -> tuple[int, int]:
        count, _, period = value.partition("/")
        return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[:1]]

    (per_session, session_period), (per_ip, ip_period) = parse(session_limit), parse(ip_limit)
    rows = list(TryOnJob.objects.values_list("owner", "created_at"))
    sessions: Counter[tuple[str, int]] = Counter(
        (owner, int(created.timestamp() // session_period)) for owner, created in rows
    )
    windows: Counter[int] = Counter(int(created.timestamp() // ip_period) for _, created in rows)
    return {
        "jobs": len(rows),
        "max_per_session_window": max(sessions.values(), default=0),
        "session_limit": per_session,
        "max_per_ip_window": max(windows.values(), default=0),
        "ip_limit": per_ip,
        "held": max(sessions.values(), default=0) <= per_session
        and max(windows.values(), default=0) <= per_ip,
    }


def run_clients(base: str, garment: int, clients: int, seconds: float) -> Stats:
    stats = Stats()
    stop_at = time.monotonic() + seconds
    threads = [
        threading.Thread(target=client, args=(base, garment, stop_at, stats, i), daemon=True)
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
        time.sleep(0.02)  # a ramp of one second, not one burst
    for thread in threads:
        thread.join(seconds + 60)
    return stats


def main() -> None:
    from common import report  # takes --record off sys.argv

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--session-limit", default="4/m")
    parser.add_argument("--ip-limit", default="120/m")
    args = parser.parse_args()

    run = f"tryon-load-{uuid.uuid4().hex[:8]}"
    work = HERE / ".work" / "load"
    work.mkdir(parents=True, exist_ok=True)
    media = work / run
    storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(media)},
    }
    env = {
        **os.environ,
        "TRYON_LOAD_RUN": run,
        "TRYON_LOAD_SESSION_LIMIT": args.session_limit,
        "TRYON_LOAD_IP_LIMIT": args.ip_limit,
        "DJANGO_SETTINGS_MODULE": "bench.load_shopper_api",
        "TRYON_Q_NAME": run,
        "TRYON_Q_BROKER": "redis",
        "TRYON_DEFAULT_STORAGE": json.dumps(storage),
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.update({k: v for k, v in env.items() if k != "PYTHONUNBUFFERED"})
    ensure_database(os.environ["DATABASE_URL"])

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    from django.conf import settings

    from tests.fixtures import create_garment
    from tests.shop.models import Product

    settings.STORAGES = {**settings.STORAGES, "default": storage}
    garment = create_garment(Product.objects.create(name="Load shirt")).pk

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    processes: list[subprocess.Popen[bytes]] = []
    gunicorn_log = (work / f"{run}-gunicorn.log").open("wb")
    cluster_log = (work / f"{run}-qcluster.log").open("wb")
    try:
        processes.append(
            subprocess.Popen(
                [PYTHON, "-m", "gunicorn", "django.core.wsgi:get_wsgi_application()",
                 "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
                 "--worker-class", "gthread", "--threads", "8", "--timeout", "60",
                 # Longer than a client's longest wait (3 s): with the 2 s default, a client
                 # reusing a connection just as gunicorn closed it for idling got a
                 # connection error no server saw (a keep-alive race, not the app's).
                 "--keep-alive", "5",
                 "--access-logfile", "-"],
                cwd=ROOT, env=env, stdout=gunicorn_log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )  # fmt: skip
        processes.append(
            subprocess.Popen(
                [PYTHON, "-m", "django", "qcluster"],
                cwd=ROOT, env=env, stdout=cluster_log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )  # fmt: skip
        import requests

        for _ in range(300):
            try:
                requests.get(base + "/tryon/jobs/", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        log(f"gunicorn ({args.workers} workers) on {base}, limits {args.session_limit} per "
            f"session, {args.ip_limit} per address")  # fmt: skip

        # Baseline: one client alone, generous limits are the same for it.
        alone = run_clients(base, garment, 1, min(10.0, args.seconds))
        baseline = p95(alone.all_latencies)
        log(f"baseline: 1 client, {alone.requests} requests, p95 {baseline * 1000:.0f} ms")
        from django_tryon.models import TryOnJob

        TryOnJob.objects.all().delete()
        delete_keys(f"{run}:*")  # the baseline's rate-limit counts

        started = time.monotonic()
        stats = run_clients(base, garment, args.clients, args.seconds)
        took = time.monotonic() - started
    finally:
        for process in processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)
    held = limits_held(args.session_limit, args.ip_limit)
    # Only this run's keys: the cache's (KEY_PREFIX) and the queue's. Never a FLUSHDB.
    delete_keys(f"{run}:*")
    delete_keys(f"django_q:{run}:*")

    value = p95(stats.all_latencies)
    error_rate = len(stats.errors) / max(1, stats.requests)
    limited = sum(n for k, n in stats.statuses.items() if k.endswith(" 429"))
    log(f"{stats.requests} requests in {took:.0f} s ({stats.requests / took:.0f}/s), "
        f"errors {len(stats.errors)} ({error_rate:.2%}), p95 {value * 1000:.0f} ms")  # fmt: skip
    for kind, values in sorted(stats.latencies.items()):
        log(f"  {kind}: {len(values)} requests, p50 {statistics.median(values) * 1000:.0f} ms, "
            f"p95 {p95(values) * 1000:.0f} ms")  # fmt: skip
    log(f"  answers: {dict(stats.statuses)}")
    log(
        f"  limits: {held}; 429s {limited}, without Retry-After {stats.limited_without_retry_after}"
    )
    log(f"  jobs followed to the end: {stats.jobs_finished}")
    if stats.errors:
        log(f"  errors: {Counter(stats.errors).most_common(10)}")

    report(
        "load_shopper_api_p95",
        value * 1000,
        baseline * 1000,
        "ms, p95 of every request, 50 clients vs 1 client",
        f"{args.clients} clients, {args.seconds:g} s, gunicorn {args.workers}x8 threads + postgres; "
        f"{stats.requests} requests, error rate {error_rate:.2%}, 429s {limited} "
        f"(all with Retry-After: {stats.limited_without_retry_after == 0}), limits held: "
        f"{held['held']} (max {held['max_per_session_window']}/{held['session_limit']} per session, "
        f"{held['max_per_ip_window']}/{held['ip_limit']} per address), "
        f"{stats.jobs_finished} jobs followed to the end",
    )
    ok = not stats.errors and held["held"] and stats.limited_without_retry_after == 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
