"""The example shop, pointed at each provider emulator through environment variables only.

Exactly what ``manage.py tryon_emulator <provider>`` tells a developer to export, then
``migrate``, ``seed_demo`` and a real ``qcluster`` of the example shop: a job requested in
the shop ends with a stored picture made by the emulator. Then the provider's official SDK
completes its documented flow against that same emulator (``sdk_flows.py``; Change Clothes
AI publishes none).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.example_project.sdk_flows import SDK_FLOWS
from tests.providers.support import is_image

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parent.parent.parent
SHOP = ROOT / "example_project"
REQUEST_JOB = """
from django_tryon.models import Garment, ModelPhoto
from django_tryon.services import request_tryon
garment = Garment.objects.filter(category="upper_body").order_by("pk").first()
photo = ModelPhoto.objects.suiting("upper_body").order_by("pk").first()
print(request_tryon(garment, photo).pk)
"""


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=SHOP,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def job_row(database: Path, pk: int) -> tuple[str, str, str]:
    with sqlite3.connect(database, timeout=20) as connection:
        row = connection.execute(
            "select status, error_code, result from django_tryon_tryonjob where id = ?", (pk,)
        ).fetchone()
    return row


@pytest.mark.parametrize("provider", ["magichour", "changeclothes", "fashn"])
def test_a_job_succeeds_through_the_shops_qcluster(provider, request, tmp_path, monkeypatch):
    emulator = request.getfixturevalue(f"{provider}_emulator")
    emulator.latency = 0.5
    prefix = provider.upper()
    database, media = tmp_path / "shop.sqlite3", tmp_path / "media"
    private = tmp_path / "private"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MAGICHOUR_", "CHANGECLOTHES_", "FASHN_", "TRYON_"))
        and key not in ("REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        {
            "PYTHONPATH": f"{ROOT}{os.pathsep}{env.get('PYTHONPATH', '')}",
            "DATABASE_URL": f"sqlite:///{database}",
            "DJANGO_MEDIA_ROOT": str(media),
            "DJANGO_PRIVATE_ROOT": str(private),
            # What ``tryon_emulator`` prints:
            f"{prefix}_BASE_URL": emulator.base_url,
            f"{prefix}_API_KEY": emulator.api_key,
            "TRYON_ALLOW_PRIVATE_URLS": "1",
            "TRYON_PROVIDER": provider,
        }
    )
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "seed_demo")
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=SHOP,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        pk = int(manage(env, "shell", "-v", "0", "-c", REQUEST_JOB).split()[-1])
        deadline = time.monotonic() + 90
        while job_row(database, pk)[0] not in ("succeeded", "failed", "canceled"):
            assert time.monotonic() < deadline, job_row(database, pk)
            time.sleep(0.5)
    finally:
        os.killpg(cluster.pid, signal.SIGTERM)
        try:
            cluster.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait()
    status, error_code, result = job_row(database, pk)
    assert status == "succeeded", error_code
    assert is_image((private / result).read_bytes())  # a result is a job file: private
    assert emulator.create_calls == 1
    if provider in SDK_FLOWS:  # the official SDK, on the emulator the shop just used
        monkeypatch.setenv("MAGIC_HOUR_POLL_INTERVAL", "0.05")  # the Magic Hour SDK's own
        SDK_FLOWS[provider](emulator, tmp_path)
        assert emulator.create_calls == 2 and emulator.violations == []
