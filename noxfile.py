"""The compatibility matrix: ``make matrix`` (all) or ``nox -s "tests(django-6.1)"`` (one).

Each session installs ``.[dev]`` and then the Django line under test, and runs the suite on
SQLite without the browser tests (and those that need Postgres itself). Interpreters come from pyenv when it has them.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

# Put every pyenv interpreter on PATH so nox finds python3.11, python3.12, ... (pyenv's shims
# only answer for the selected version).
_pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
if _pyenv.is_dir():
    _bins = [str(v / "bin") for v in sorted(_pyenv.iterdir(), reverse=True) if (v / "bin").is_dir()]
    os.environ["PATH"] = os.pathsep.join([*_bins, os.environ.get("PATH", "")])

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

# (python, Django release line): the oldest supported pair and the newest Django.
MATRIX = [("3.11", "5.2"), ("3.12", "6.1")]


@nox.session
@nox.parametrize(
    ("python", "django"),
    [nox.param(py, dj, id=f"django-{dj}") for py, dj in MATRIX],
)
def tests(session: nox.Session, django: str) -> None:
    session.install("-e", ".[dev]")
    session.install(f"django~={django}.0")
    session.run("python", "-m", "django", "--version")
    # Exit code 5 (no tests collected) must not pass: nox fails on any non-zero code.
    # Emulator, docs-site, fault and probe suites don't depend on the Django version: the
    # main run has them, and CI stays under 20 minutes.
    session.run(
        "python",
        "-m",
        "pytest",
        "-m",
        "not browser and not postgres and not fuzz",
        "-q",
        "--ignore=tests/testing",
        "--ignore=tests/docs",
        "--ignore=tests/reliability",
        "--ignore=tests/security",
        "--ignore=tests/sdk",
        "--ignore=tests/bench",
        *session.posargs,
    )
