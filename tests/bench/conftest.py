"""Running a benchmark script as it is run by hand, with its tiny ``SMOKE`` arguments.

Each run gets a database of its own (a SQLite file in the test's folder, or, when the
suite runs on Postgres, ``<test database>_bench`` on the same server) and a results file
of its own (``BENCH_RESULTS``), so that the tracked ``bench/RESULTS.md`` is never touched.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection

from bench.run_all import SMOKE

ROOT = Path(__file__).resolve().parent.parent.parent
TRACKED_RESULTS = ROOT / "bench" / "RESULTS.md"
RESULT_LINE = re.compile(r"^RESULT (\w+) value=\S+ baseline=\S+ ratio=\S+$", re.M)
# What the suite's own processes set for themselves; a benchmark chooses its own.
INHERITED_NOT = ("DATABASE_URL", "TRYON_DB_NAME", "TRYON_Q_NAME", "TRYON_OVERRIDES")


@dataclass
class Run:
    returncode: int
    output: str
    results_file: Path

    @property
    def results(self) -> list[str]:
        """Names of the RESULT lines printed."""
        return RESULT_LINE.findall(self.output)


def postgres_url(name: str) -> str:
    """A database next to the suite's Postgres test database, created if missing."""
    import psycopg

    settings = connection.settings_dict
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    user, password = settings["USER"] or "postgres", settings["PASSWORD"] or ""
    admin = psycopg.connect(
        host=host, port=port, user=user, password=password, dbname="postgres", autocommit=True
    )
    with admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    credentials = f"{user}:{password}" if password else user
    return f"postgres://{credentials}@{host}:{port}/{name}"


@pytest.fixture
def run_bench(tmp_path):
    """``run_bench("admin_changelist")`` runs ``bench/admin_changelist.py`` with its SMOKE args."""

    def run(script: str, *extra: str, env: dict[str, str] | None = None) -> Run:
        before = hashlib.sha256(TRACKED_RESULTS.read_bytes()).hexdigest()
        environment = {k: v for k, v in os.environ.items() if k not in INHERITED_NOT}
        environment.update(
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
            BENCH_RESULTS=str(tmp_path / "RESULTS.md"),
            TRYON_DB_NAME=str(tmp_path / "bench.sqlite3"),
        )
        if connection.vendor == "postgresql":
            environment.pop("TRYON_DB_NAME")
            environment["DATABASE_URL"] = postgres_url(f"{connection.settings_dict['NAME']}_bench")
        environment.update(env or {})
        done = subprocess.run(
            [sys.executable, f"bench/{script}.py", *SMOKE[script], *extra],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=600,
        )
        after = hashlib.sha256(TRACKED_RESULTS.read_bytes()).hexdigest()
        assert after == before, f"bench/{script}.py changed bench/RESULTS.md"
        return Run(done.returncode, done.stdout, tmp_path / "RESULTS.md")

    return run


def assert_completed(run: Run, *names: str) -> None:
    """It exited 0, printed a RESULT line for each name, and recorded nothing unasked."""
    assert run.returncode == 0, run.output[-4000:]
    assert sorted(run.results) == sorted(names), run.output[-4000:]
    assert not run.results_file.exists(), "recorded without --record"
