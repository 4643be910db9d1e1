"""The example shop leaves a trace of every 500 in its log, with DEBUG off too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "example_project"

SCRIPT = """
import django, logging
django.setup()
try:
    raise ValueError("boom")
except ValueError:
    logging.getLogger("django.request").error("Internal Server Error: /x/", exc_info=True)
"""


def test_request_errors_reach_the_console_with_debug_off(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "test-" + "k" * 50,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PYTHONPATH": os.pathsep.join([str(EXAMPLE), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "Internal Server Error: /x/" in result.stderr
    assert "ValueError: boom" in result.stderr
