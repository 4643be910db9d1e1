"""The compatibility matrix: ``make matrix`` (all) or ``nox -s "tests(django-6.1)"`` (one).

Each ``tests`` session installs ``.[dev]`` with the Django line under test and runs the suite
on SQLite without the browser tests (and those that need Postgres itself). The ``postgres``
session is the Postgres pass of ``make test``: the newest Django on Postgres, while the
SQLite pass runs the oldest supported one from ``.venv`` (each database and each Django line
runs the suite once per CI run). Interpreters come from pyenv when it has them.
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
    _install(session, django)
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


# What depends on the database runs again on Postgres; suites that don't touch it (emulators,
# docs, templates, translations, SDKs, security probes, each provider's HTTP conversation)
# ran in the SQLite pass. Providers through a real qcluster and failover stay.
POSTGRES_SKIPS = [
    f"--ignore=tests/{suite}"
    for suite in (
        "testing",
        "docs",
        "i18n",
        "templatetags",
        "example_project",
        "security",
        "sdk",
        "bench",
        *(
            f"providers/test_{module}.py"
            for module in (
                "changeclothes",
                "fashn",
                "magichour",
                "vertex",
                "http",
                "garments",
            )
        ),
    )
]


@nox.session(python=MATRIX[-1][0])
def postgres(session: nox.Session) -> None:
    """The suite on Postgres (``DATABASE_URL``) with the newest Django, then its benchmarks."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        session.error(
            "set DATABASE_URL to a Postgres database, e.g. postgres://postgres@127.0.0.1:5432/test"
        )
    _install(session, MATRIX[-1][1])
    session.run(
        "python", "-m", "pytest", "-m", "not browser", "-q", *POSTGRES_SKIPS, *session.posargs
    )
    session.run("python", "-m", "pytest", "tests/bench", "-m", "postgres", "-q", *session.posargs)


def _install(session: nox.Session, django: str) -> None:
    # One resolution for both, so pip doesn't install one Django to replace it at once.
    session.install("-e", ".[dev]", f"django~={django}.0")
    session.run("python", "-m", "django", "--version")
