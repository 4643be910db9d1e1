"""Real ``qcluster`` subprocesses for tests: the pipeline as it runs in production.

The ``qcluster`` fixture starts clusters that share the test's database (committed data:
the tests are transactional), its storage (a temporary folder, or S3 on moto) and its
TRYON settings, on the ORM broker or on Redis. Each cluster gets a unique queue name,
so concurrent test runs never take each other's tasks.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.availability import REDIS_URL, require_redis

ROOT = Path(__file__).resolve().parent.parent


class Cluster:
    """One ``manage.py qcluster`` process group, with its log."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, ready_timeout: float = 30.0) -> Cluster:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "django", "qcluster"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + ready_timeout
        while "running." not in self.log:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"qcluster did not start:\n{self.log[-3000:]}")
            time.sleep(0.1)
        return self

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def child_pids(self) -> list[int]:
        """Processes of the cluster besides its main one (sentinel, workers, monitor, pusher)."""
        group = self.pid  # started in a new session: the group id is the leader's pid
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == self.pid:
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == group:
                pids.append(int(entry.name))
        return pids

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, grace: float = 20.0) -> None:
        if not self.running:
            return
        assert self.process is not None
        # Only the main process: it stops its children itself, as on a real host.
        os.kill(self.pid, signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.process.wait(5)

    def kill(self) -> None:
        """SIGKILL the whole cluster: no chance to acknowledge or clean up."""
        if self.running:
            os.killpg(self.pid, signal.SIGKILL)
            assert self.process is not None
            self.process.wait(5)


def wait_until(condition: Any, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


@pytest.fixture
def qcluster(
    transactional_db: Any, settings: Any, tmp_path: Path, monkeypatch: Any
) -> Iterator[Any]:
    """``qcluster(broker="orm"|"redis", tryon={...}, workers=2, storage={...},
    private_storage={...})`` starts a cluster.

    The test process is switched to the same queue (and broker), storage and TRYON
    settings, so ``request_tryon`` here is picked up by the cluster there.
    """
    from django_q.conf import Conf

    clusters: list[Cluster] = []
    name = f"tryon-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(Conf, "CLUSTER_NAME", name)
    # Switched now, before the test's other fixtures store files, so the cluster sees them.
    shared_storage(settings, tmp_path)

    def start(
        *,
        broker: str = "orm",
        tryon: dict[str, Any] | None = None,
        workers: int = 2,
        storage: dict[str, Any] | None = None,
        private_storage: dict[str, Any] | None = None,
    ) -> Cluster:
        if broker == "redis":
            require_redis()
            monkeypatch.setattr(Conf, "ORM", None)
            monkeypatch.setattr(Conf, "REDIS", REDIS_URL)
        if storage is not None:
            settings.STORAGES = {**settings.STORAGES, "default": storage}
        if private_storage is not None:  # where results go
            settings.STORAGES = {**settings.STORAGES, "tryon_private": private_storage}
        overrides = dict(tryon or {})
        if overrides:
            settings.TRYON = {**settings.TRYON, **overrides}
        env = {
            **subprocess_env(settings, overrides),
            "TRYON_Q_NAME": name,
            "TRYON_Q_BROKER": broker,
            "TRYON_Q_WORKERS": str(workers),
            "REDIS_URL": REDIS_URL,
            "PYTHONUNBUFFERED": "1",
        }
        cluster = Cluster(env, tmp_path / f"qcluster-{len(clusters)}.log").start()
        clusters.append(cluster)
        return cluster

    yield start
    for cluster in clusters:
        cluster.stop()
    if broker_is_redis(Conf):
        import redis

        redis.from_url(REDIS_URL).delete(name)


def shared_storage(settings: Any, folder: Path) -> None:
    """Switch the test's storages (merchant and private) to folders a subprocess can share."""
    media = folder / "media"
    media.mkdir()
    files = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(media)},
    }
    private = {
        "BACKEND": "django_tryon.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": str(folder / "private")},
    }
    settings.STORAGES = {**settings.STORAGES, "default": files, "tryon_private": private}


def subprocess_env(settings: Any, tryon: dict[str, Any]) -> dict[str, str]:
    """The environment for a process of ours (qcluster, a server) on the test's database,
    storages and TRYON settings (``tests/settings.py`` reads them)."""
    return {
        **os.environ,
        # The suite's settings, or the Oscar shop's (pytest-django sets the variable).
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "tests.settings"),
        "TRYON_DB_NAME": str(connection.settings_dict["NAME"]),
        "TRYON_DEFAULT_STORAGE": json.dumps(settings.STORAGES["default"]),
        "TRYON_PRIVATE_STORAGE": json.dumps(settings.STORAGES["tryon_private"]),
        "TRYON_OVERRIDES": json.dumps(tryon),
    }


def broker_is_redis(conf: Any) -> bool:
    return not conf.ORM
