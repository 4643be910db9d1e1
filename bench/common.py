"""What every benchmark shares: Django set-up, a real qcluster, and the RESULT line.

A run prints its RESULT line and changes no tracked file. ``--record`` (any script, or
``run_all.py``) also appends the line, with the command that made it, to
``bench/RESULTS.md`` (or to the file ``BENCH_RESULTS`` names). The flag is taken off
``sys.argv`` here, before the script parses its own arguments, so every script has it.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(os.environ.get("BENCH_RESULTS") or ROOT / "bench" / "RESULTS.md")
RECORD = "--record" in sys.argv
if RECORD:
    sys.argv.remove("--record")
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")


def setup_django(fresh_db: bool = True) -> None:
    """Configure Django and (re)create the benchmark database."""
    import django

    settings_module = os.environ["DJANGO_SETTINGS_MODULE"]
    if fresh_db and settings_module == "bench.settings" and not os.environ.get("DATABASE_URL"):
        for suffix in ("", "-wal", "-shm"):
            (ROOT / "bench" / ".work" / f"bench.sqlite3{suffix}").unlink(missing_ok=True)
    django.setup()
    from django.core.management import call_command

    if fresh_db and os.environ.get("DATABASE_URL"):
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)


def start_cluster(
    workers: int = 2, tryon: dict[str, Any] | None = None, broker: str = "orm"
) -> Any:
    """A qcluster subprocess on this database, with a queue of its own."""
    from django.conf import settings
    from django.db import connection
    from django_q.conf import Conf

    from tests.cluster import Cluster

    name = f"bench-{uuid.uuid4().hex[:8]}"
    Conf.CLUSTER_NAME = name
    if broker == "redis":
        Conf.ORM, Conf.REDIS = None, os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    if tryon:
        settings.TRYON = {**settings.TRYON, **tryon}
    env = {
        **os.environ,
        "TRYON_DB_NAME": str(connection.settings_dict["NAME"]),
        "TRYON_Q_NAME": name,
        "TRYON_Q_BROKER": broker,
        "TRYON_Q_WORKERS": str(workers),
        "TRYON_DEFAULT_STORAGE": json.dumps(settings.STORAGES["default"]),
        "TRYON_OVERRIDES": json.dumps(tryon or {}),
        "PYTHONUNBUFFERED": "1",
    }
    log = ROOT / "bench" / ".work" / f"{name}.log"
    return Cluster(env, log).start()


def files_storage(name: str) -> dict[str, Any]:
    """Switch this process to a fresh folder on disk; returns the STORAGES entry."""
    from django.conf import settings

    location = ROOT / "bench" / ".work" / name
    location.mkdir(parents=True, exist_ok=True)
    entry = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(location)},
    }
    # Both of the app's storages: subprocesses given only the default use it for both.
    settings.STORAGES = {**settings.STORAGES, "default": entry, "tryon_private": entry}
    return entry


def wait_for(condition: Any, timeout: float, interval: float = 0.05) -> float:
    """Seconds until ``condition()`` holds; raises after ``timeout``."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"not done after {timeout} s")
        time.sleep(interval)
    return time.monotonic() - start


def report(name: str, value: float, baseline: float, unit: str, note: str = "") -> None:
    """Print the RESULT line; with ``--record``, append it and the command to RESULTS."""
    ratio = value / baseline if baseline else float("inf")
    line = f"RESULT {name} value={value:.3f} baseline={baseline:.3f} ratio={ratio:.3f}"
    print(line, flush=True)
    if not RECORD:
        return
    script = os.path.relpath(os.path.abspath(sys.argv[0]), ROOT)
    args = [os.path.relpath(sys.executable, ROOT), script, *sys.argv[1:]]
    command = " ".join(shlex.quote(a) for a in args)
    db = os.environ.get("DATABASE_URL", "sqlite").split("@")[-1]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if not RESULTS.exists():
        RESULTS.write_text(
            "# Benchmark results\n\nEach entry: the command, then its RESULT line.\n"
        )
    with RESULTS.open("a") as out:
        out.write(
            f"\n- {stamp} · `{command}` · db={db} · unit: {unit}{' · ' + note if note else ''}\n"
        )
        out.write(f"  `{line}`\n")
    print(f"recorded in {RESULTS}")
