"""bench/first_start.py times ``make demo`` in a fresh clone until ``/`` answers 200.

Run here on a stand-in repository whose ``make demo`` prints the real target's phase
lines and serves a page: the real one installs from a package index (minutes).
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent / "bench"))
from first_start import first_start

# The lines of the real target that start a phase, then a server on $(PORT).
STAND_IN_MAKEFILE = """\
demo:
\t@echo "python3 -m venv --without-pip .venv"
\t@echo "python3 -m pip --python .venv/bin/python install -r requirements-demo.txt"
\tsleep 0.3
\t@echo "[demo] starting runserver"
\texec python3 -m http.server --bind 127.0.0.1 $(PORT)
"""
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def stand_in(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "Makefile").write_text(STAND_IN_MAKEFILE)
    (repo / "index.html").write_text("<h1>shop</h1><p>Classic Oxford Shirt</p>")
    subprocess.run([*GIT, "init", "--quiet"], cwd=repo, check=True)
    commit(repo, "a shop")
    return repo


def commit(repo: Path, message: str) -> None:
    subprocess.run([*GIT, "add", "."], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "--quiet", "-m", message], cwd=repo, check=True)


def test_times_make_demo_until_the_first_page_and_names_the_phases(stand_in):
    elapsed, cpu, phases = first_start(stand_in, None, free_port(), timeout=60)
    names = [name for _, name in phases]
    assert names == ["virtualenv", "install", "server start"]
    times = [at for at, _ in phases]
    assert times == sorted(times) and times[-1] >= 0.3  # after the sleep
    assert times[-1] <= elapsed < 60
    assert 0 < cpu < elapsed  # the stand-in mostly sleeps and waits


def test_a_page_without_the_seeded_catalogue_does_not_count(stand_in):
    (stand_in / "index.html").write_text("<h1>shop</h1><p>No products yet</p>")
    commit(stand_in, "an empty shop")
    with pytest.raises(TimeoutError):
        first_start(stand_in, None, free_port(), timeout=3)


def test_a_demo_that_exits_is_reported_with_its_output(stand_in):
    (stand_in / "Makefile").write_text("demo:\n\t@echo 'no such shop' && false\n")
    commit(stand_in, "a broken shop")
    with pytest.raises(RuntimeError, match="no such shop"):
        first_start(stand_in, None, free_port(), timeout=60)
