"""A real web server (gunicorn, several processes and threads) on the test's database.

``web_server(tryon={...})`` starts ``gunicorn`` serving ``tests.settings`` on 127.0.0.1
with the test database, storage and TRYON overrides (as ``tests/cluster.py`` does for
``qcluster``), and returns its base URL. Requests to it are real concurrent HTTP: several
processes, each with several threads, each its own database connection.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


class SlowStorage(FileSystemStorage):
    """Local files that take as long to save as a remote object store can (S3: ~0.3 s)."""

    def __init__(self, *args: Any, delay: float = 0.3, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.delay = delay

    def _save(self, name: str, content: Any) -> str:
        time.sleep(self.delay)
        return super()._save(name, content)


T = TypeVar("T")


def at_once(count: int, send: Callable[[int, threading.Barrier], T]) -> list[T]:
    """Run ``send(n, gate)`` for n in range(count), each on its own thread; ``send`` waits
    on ``gate`` once ready, so the requests leave together. Returns what they returned."""
    gate = threading.Barrier(count)
    answers: list[T] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        answer = send(n, gate)
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    return answers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def gunicorn(
    env: dict[str, str], *, workers: int, threads: int, log: Any = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Start gunicorn (gthread) on Django's WSGI app; returns it and its base URL once it
    accepts connections. Its own process group: stop it with ``stop``."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "django.core.wsgi:get_wsgi_application()",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--timeout",
            "300",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT if log is not None else None,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)
                raise RuntimeError("gunicorn did not start") from None
            time.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


@pytest.fixture
def web_server(transactional_db: Any, settings: Any, tmp_path: Path) -> Iterator[Any]:
    """Switches the test to files in ``tmp_path`` (shared with the server), then starts it."""
    media = tmp_path / "media"
    media.mkdir()
    storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(media)},
    }
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    processes: list[subprocess.Popen[bytes]] = []

    def start(
        *,
        tryon: dict[str, Any] | None = None,
        workers: int = 2,
        threads: int = 16,
        save_delay: float = 0.0,
    ) -> str:
        """The server's base URL; ``save_delay``: its storage takes that long per save."""
        overrides = dict(tryon or {})
        served = storage
        if save_delay:
            served = {
                "BACKEND": "tests.server.SlowStorage",
                "OPTIONS": {**storage["OPTIONS"], "delay": save_delay},
            }
        settings.TRYON = {**settings.TRYON, **overrides}
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "TRYON_DB_NAME": str(connection.settings_dict["NAME"]),
            "TRYON_DEFAULT_STORAGE": json.dumps(served),
            "TRYON_OVERRIDES": json.dumps(overrides),
        }
        log = (tmp_path / f"gunicorn-{len(processes)}.log").open("wb")
        process, base = gunicorn(env, workers=workers, threads=threads, log=log)
        processes.append(process)
        return base

    yield start
    for process in processes:
        stop(process)
