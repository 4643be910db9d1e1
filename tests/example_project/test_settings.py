"""The example shop's settings: safe to run with DEBUG off, private shopper files in every mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "example_project"


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``example_project/manage.py`` in a clean environment plus ``env``."""
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "TRYON_", "AWS_")) and key != "DATABASE_URL"
    }
    base["PYTHONPATH"] = str(ROOT)  # this checkout's django_tryon
    return subprocess.run(
        [sys.executable, str(EXAMPLE / "manage.py"), *args],
        env={**base, **env},
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_with_debug_off_the_public_demo_secret_key_refuses_to_start():
    result = manage("check", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr  # says how to set one


@pytest.mark.parametrize(
    "env",
    [{}, {"DJANGO_DEBUG": "1"}, {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "x" * 50}],
    ids=["demo-default-debug", "debug-on", "debug-off-own-key"],
)
def test_the_demo_and_a_shop_with_its_own_key_start(env):
    result = manage("check", **env)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
