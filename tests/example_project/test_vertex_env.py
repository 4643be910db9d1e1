"""The example shop pointed at the Vertex emulator through environment variables, as the
``tryon_emulator vertex`` command prints them, runs a try-on through its own ``qcluster``.

A copy of the example project (its own SQLite file and media folder) runs ``migrate``,
``check`` and ``seed_demo``, then a real ``qcluster`` and ``tryon_check vertex``; a job made
through ``request_tryon`` ends with a picture from the emulator in the shop's storage. Then
Google's official client (``google-genai``) completes its try-on against that same emulator.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from django_tryon.testing.emulators import VertexEmulator
from tests.example_project.sdk_flows import SDK_FLOWS

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]

DRIVER = """
import json, sys, time
import django
django.setup()
from django_tryon.models import Garment, ModelPhoto, TryOnJob
from django_tryon.services import request_tryon
job = request_tryon(Garment.objects.filter(category="upper_body").first(), ModelPhoto.objects.first())
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    job.refresh_from_db()
    if job.is_terminal:
        break
    time.sleep(0.2)
print("REPORT " + json.dumps({"status": job.status, "provider": job.provider,
      "error": job.error_code, "result": job.result.name if job.result else "",
      "credits": job.credits_charged}))
"""


def run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{args} failed:\n{output[-3000:]}"
    return output


def test_the_example_shop_runs_a_job_on_the_vertex_emulator(tmp_path):
    project = tmp_path / "example_project"
    shutil.copytree(
        ROOT / "example_project",
        project,
        ignore=shutil.ignore_patterns(
            "media", "private", "*.sqlite3*", "staticfiles", "__pycache__"
        ),
    )
    with VertexEmulator(latency=0.3) as emulator:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "shop.settings",
            "PYTHONPATH": os.pathsep.join([str(project), str(ROOT)]),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'shop.sqlite3'}",
            # What `manage.py tryon_emulator vertex` prints:
            "VERTEX_BASE_URL": emulator.base_url,
            "VERTEX_PROJECT": emulator.project,
            "VERTEX_ACCESS_TOKEN": emulator.access_token,
            "TRYON_ALLOW_PRIVATE_URLS": "1",
            "TRYON_PROVIDER": "vertex",
        }
        env.pop("REDIS_URL", None)  # the one-machine setup: the database is the broker
        run(["manage.py", "migrate", "--no-input"], project, env)
        assert "no issues" in run(["manage.py", "check"], project, env)
        run(["manage.py", "seed_demo"], project, env)

        log = (tmp_path / "qcluster.log").open("wb")
        cluster = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=project,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 30
            while "running." not in (tmp_path / "qcluster.log").read_text(errors="replace"):
                assert cluster.poll() is None and time.monotonic() < deadline, (
                    tmp_path / "qcluster.log"
                ).read_text()[-3000:]
                time.sleep(0.2)
            checked = run(["manage.py", "tryon_check", "vertex"], project, env)
            output = run(["-c", DRIVER], project, env)
        finally:
            cluster.send_signal(signal.SIGTERM)
            try:
                cluster.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(cluster.pid, signal.SIGKILL)
                cluster.wait(5)
        shop_creates = emulator.create_calls
        SDK_FLOWS["vertex"](emulator, tmp_path)  # the official client, on the same emulator

    assert "OK   credentials (vertex)" in checked and "knows the model" in checked
    report = json.loads(output.split("REPORT ", 1)[1].splitlines()[0])
    assert report["status"] == "succeeded", report
    assert report["provider"] == "vertex" and report["credits"] == 1
    stored = project / "private" / report["result"]  # a result is a job file: private
    assert stored.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shop_creates == 1 and emulator.create_calls == 2 and emulator.violations == []
