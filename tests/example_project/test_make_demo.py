"""``make demo`` installs what the demo needs, and no more; ``make test`` installs the rest.

Each target has its own stamp in ``.venv/``: read with ``make -n`` (what would run) in a
copy of the Makefile whose ``.venv`` is a stand-in, so nothing is installed here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "example_project"))
from requirements import requirements  # noqa: E402

DEV_ONLY = ("moto", "mypy", "playwright", "scikit-image", "nox", "mkdocs", "gunicorn", "pytest")


@pytest.fixture
def checkout(tmp_path):
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("")  # exists: `make` creates no venv
    past = time.time() - 60
    for path in (tmp_path / "pyproject.toml", python):
        os.utime(path, (past, past))
    return tmp_path


def would_run(checkout: Path, target: str) -> str:
    done = subprocess.run(
        ["make", "-n", target], cwd=checkout, capture_output=True, text=True, check=True
    )
    return done.stdout


def installs(output: str) -> list[str]:
    return [line for line in output.splitlines() if " install " in line]


def test_the_demo_requirements_are_the_dependencies_and_the_demo_extra():
    found = requirements("demo")
    names = {r.split(">")[0].split("[")[0].lower() for r in found}
    assert names == {"django", "django-q2", "requests", "pillow", "dj-database-url"}
    assert not [r for r in found if r.lower().startswith(DEV_ONLY)]


def test_a_fresh_demo_installs_only_its_requirements(checkout):
    (line,) = installs(would_run(checkout, "demo"))
    assert "requirements-demo.txt" in line and "[dev]" not in line
    assert "--no-compile" in line and "--prefer-binary" in line


def test_test_after_demo_installs_everything(checkout):
    (checkout / ".venv" / ".installed-demo").touch()
    assert installs(would_run(checkout, "demo")) == []
    (line,) = installs(would_run(checkout, "lint"))
    assert '-e ".[dev]"' in line


def test_demo_after_test_installs_nothing(checkout):
    output = would_run(checkout, "install")
    assert "touch .venv/.installed-dev .venv/.installed-demo" in output
    for stamp in (".installed-dev", ".installed-demo"):
        (checkout / ".venv" / stamp).touch()
    assert installs(would_run(checkout, "demo")) == []


def test_a_changed_pyproject_reinstalls(checkout):
    (checkout / ".venv" / ".installed-demo").touch()
    later = time.time() + 60
    os.utime(checkout / "pyproject.toml", (later, later))
    assert len(installs(would_run(checkout, "demo"))) == 1
