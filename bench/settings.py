"""Settings for benchmarks: the test settings on a database file of their own (or DATABASE_URL)."""

import os
from pathlib import Path

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES, Q_CLUSTER, TRYON

WORK = Path(__file__).resolve().parent / ".work"
WORK.mkdir(exist_ok=True)

if DATABASES["default"]["ENGINE"].endswith("sqlite3") and not os.environ.get("TRYON_DB_NAME"):
    DATABASES["default"]["NAME"] = str(WORK / "bench.sqlite3")

# Keep every finished task's row: the no-op baseline is timed by counting them.
Q_CLUSTER.update({"save_limit": 0, "ack_failures": True})
TRYON.update({"TICK_SECONDS": 10, "POLL_INTERVAL": 1.0})
# As in production: keep database connections (django-q2's ORM broker closes stale ones).
DATABASES["default"]["CONN_MAX_AGE"] = 60
