"""Status endpoint throughput: 50 concurrent pollers, against a trivial view on the same server.

A real server process (gunicorn, threaded workers) on 127.0.0.1 serves both the shopper
status endpoint (``GET tryon/jobs/<token>/``) and a view that only returns "ok" through
the same middleware. 50 keep-alive clients, each a shopper who created a job through the
API and kept the cookies it was given, poll each in turn for a fixed time; the ratio is
status req/s over trivial req/s. Each target is measured twice, interleaved, so drift
affects both alike.

A poll is one query: the job, and in the same statement that the session the owner
cookie names is still alive (Django's default ``db`` sessions here); the session itself
is not read.

    .venv/bin/python bench/status_endpoint.py [--seconds 8] [--clients 50] [--sessions cached_db]

Under gunicorn this module is also the WSGI app (``application``) and its URLconf.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from django.http import HttpRequest, HttpResponse


def ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def _urlpatterns() -> list:  # type: ignore[type-arg]
    from django.urls import include, path

    return [path("bench/ping/", ping), path("tryon/", include("django_tryon.urls"))]


def _make_application():  # type: ignore[no-untyped-def]
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    settings.ROOT_URLCONF = __name__
    if os.environ.get("BENCH_SESSION_ENGINE"):
        settings.SESSION_ENGINE = os.environ["BENCH_SESSION_ENGINE"]
    return get_wsgi_application()


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    # Built on first use, once Django is set up: ``application`` for gunicorn, and the URLconf.
    if name == "application":
        globals()["application"] = app = _make_application()
        return app
    if name == "urlpatterns":
        globals()["urlpatterns"] = patterns = _urlpatterns()
        return patterns
    raise AttributeError(name)


# The load: keep-alive HTTP/1.1 clients on raw sockets (light enough to out-pace the server).


async def _client(port: int, request: bytes, stop_at: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.monotonic() < stop_at:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            counts[0 if status == 200 else 1] += 1
            if b"connection: close" in head.lower():
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


def measure(port: int, targets: list[tuple[str, str]], seconds: float) -> float:
    """Requests per second with one keep-alive client per (path, cookie) in ``targets``."""
    requests = [
        (
            f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
            "Accept: application/json\r\n\r\n"
        ).encode()
        for target, cookie in targets
    ]

    async def run(duration: float) -> tuple[list[int], float]:
        counts = [0, 0]
        started = time.monotonic()
        await asyncio.gather(
            *(_client(port, request, started + duration, counts) for request in requests)
        )
        return counts, time.monotonic() - started

    asyncio.run(run(1.5))  # warm up: connections, caches, the workers' imports
    counts, elapsed = asyncio.run(run(seconds))
    if counts[1]:
        raise RuntimeError(f"{counts[1]} answers were not 200")
    return counts[0] / elapsed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(shoppers: int) -> tuple[list[tuple[str, str]], int]:
    """Shoppers, each with a job made through the API: ([(status URL, cookies)], queries per poll).

    Each is a browser: it posts its photo to the create endpoint and keeps the cookies it
    is given (the session, and the owner cookie that spares the session on each poll).
    """
    from django.conf import settings
    from django.core.files.base import ContentFile
    from django.db import connection
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.common import files_storage
    from django_tryon.models import Garment, Status, TryOnJob
    from tests.fixtures import make_image
    from tests.shop.models import Product

    files_storage("status-endpoint")
    settings.ROOT_URLCONF = __name__
    settings.TRYON = {**settings.TRYON, "RATE_LIMITS": {}}  # 50 shoppers from one address
    garment = Garment(product=Product.objects.create(name="Shirt"), category="upper_body")
    garment.image.save("g.png", ContentFile(make_image((400, 400), "PNG", person=False)))
    photo = make_image()
    targets = []
    for _ in range(shoppers):
        browser = Client(enforce_csrf_checks=True)
        csrf = _get_new_csrf_string()
        browser.cookies["csrftoken"] = csrf
        upload = ContentFile(photo, name="me.jpg")
        created = browser.post(
            "/tryon/jobs/",
            {"garment": garment.pk, "consent": "1", "photo": upload},
            HTTP_X_CSRFTOKEN=csrf,
        )
        assert created.status_code == 201, created.content
        cookies = "; ".join(f"{name}={morsel.value}" for name, morsel in browser.cookies.items())
        targets.append((created.json()["url"], cookies))
    TryOnJob.objects.update(status=Status.RUNNING)  # polled while they run

    assert browser.get(targets[-1][0]).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(targets[-1][0]).json()["status"] == "running"
    return targets, len(queries)


SESSIONS = {
    "cached_db": "django.contrib.sessions.backends.cached_db",
    "db": "django.contrib.sessions.backends.db",
}


def serve(port: int, env: dict[str, str], workers: int, threads: int) -> subprocess.Popen[bytes]:
    from bench.common import ROOT

    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "bench.status_endpoint:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--worker-class",
            "gthread",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError("gunicorn did not start") from None
            time.sleep(0.2)


def main() -> int:
    from bench.common import ROOT, report, setup_django  # takes --record off sys.argv

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--sessions",
        choices=[*SESSIONS, "both"],
        default="db",
        help="Django's session engine on the server (default: Django's own default, db)",
    )
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL"):
        # A SQLite file of its own, so other benchmarks running meanwhile are left alone
        # (TRYON_DB_NAME, when set, names it: the smoke tests give each run its own).
        own = Path(
            os.environ.get("TRYON_DB_NAME") or ROOT / "bench" / ".work" / "status-endpoint.sqlite3"
        )
        for suffix in ("", "-wal", "-shm"):
            Path(f"{own}{suffix}").unlink(missing_ok=True)
        os.environ["TRYON_DB_NAME"] = str(own)
    setup_django(fresh_db=bool(os.environ.get("DATABASE_URL")))
    targets, queries = prepare(args.clients)
    trivial = [("/bench/ping/", cookie) for _, cookie in targets]
    from django.conf import settings
    from django.db import connection

    engines = list(SESSIONS) if args.sessions == "both" else [args.sessions]
    for engine in engines:
        port = _free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "BENCH_SESSION_ENGINE": SESSIONS[engine],
            "TRYON_DB_NAME": str(connection.settings_dict["NAME"]),
            "TRYON_DEFAULT_STORAGE": json.dumps(settings.STORAGES["default"]),
        }
        server = serve(port, env, args.workers, args.threads)
        rates: dict[str, list[float]] = {"trivial": [], "status": []}
        try:
            for _ in range(2):
                rates["trivial"].append(measure(port, trivial, args.seconds))
                rates["status"].append(measure(port, targets, args.seconds))
                print(
                    f"sessions={engine}: trivial {rates['trivial'][-1]:.0f} req/s, "
                    f"status {rates['status'][-1]:.0f} req/s"
                )
        finally:
            server.terminate()
            server.wait(10)
        value = sum(rates["status"]) / len(rates["status"])
        baseline = sum(rates["trivial"]) / len(rates["trivial"])
        report(
            "status_endpoint" if engine == "db" else f"status_endpoint_{engine}_sessions",
            value,
            baseline,
            unit="req/s, status endpoint vs trivial view",
            note=(
                f"SESSION_ENGINE {engine}, {args.clients} keep-alive pollers (one shopper and job "
                f"each), {args.seconds:g} s x2 each, gunicorn gthread {args.workers}x{args.threads} "
                f"on 127.0.0.1, queries per poll: {queries}"
            ),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
