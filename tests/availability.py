"""Which external services the suite can reach, and what to do when one is missing.

Off CI a suite whose service is missing is skipped with a message saying how to run it;
under ``CI=true`` the same situation fails the run, so CI can't go green by skipping.
"""

from __future__ import annotations

import os
import shutil
import socket

import pytest
from django.db import connection

ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CHROMIUM = os.environ.get("TRYON_CHROMIUM", "/usr/bin/chromium")

HOW_TO = {
    "postgres": "run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/test (make test does)",
    "redis": "start Redis on 127.0.0.1:6379 or set REDIS_URL",
    "browser": "install Debian's chromium (apt-get install -y chromium), as .ci/run does",
    "s3": "pip install 'moto[server]' (part of the dev extra)",
}


def missing(service: str, why: str) -> None:
    message = f"{service} unavailable ({why}): {HOW_TO[service]}"
    if ON_CI:
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_postgres() -> None:
    if connection.vendor != "postgresql":
        missing("postgres", f"the suite runs on {connection.vendor}")


def require_redis() -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(REDIS_URL)
    if not _port_open(parts.hostname or "127.0.0.1", parts.port or 6379):
        missing("redis", f"nothing listens at {REDIS_URL}")


def require_chromium() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        missing("browser", f"{CHROMIUM} not found")
    return CHROMIUM if os.path.exists(CHROMIUM) else str(shutil.which("chromium"))


def require_moto() -> None:
    try:
        import moto.server  # noqa: F401
    except ImportError as exc:
        missing("s3", str(exc))
