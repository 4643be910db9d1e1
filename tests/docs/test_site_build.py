"""``mkdocs build --strict`` passes: every link, anchor, nav entry and included snippet resolves.

Also checks the reliability page's benchmark commands against the scripts in ``bench/``.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest

from tests.availability import ON_CI
from tests.docs.support import DOCS, ROOT, clean_env, shell_commands


def test_the_site_builds_in_strict_mode(tmp_path):
    try:
        import material  # noqa: F401
        import mkdocs  # noqa: F401
    except ImportError:
        if ON_CI:
            pytest.fail("mkdocs and mkdocs-material are part of the dev extra")
        pytest.skip("pip install -e '.[docs]' to build the documentation")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env=clean_env(NO_MKDOCS_2_WARNING="1"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "integration" / "index.html").exists()
    # Snippets were included, not left as markers.
    page = (tmp_path / "site" / "integration" / "index.html").read_text()
    assert "--8&lt;--" not in page and "tryon_widget product" in page


def test_every_image_on_a_page_exists():
    for page in DOCS.rglob("*.md"):
        for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page.read_text()):
            assert (page.parent / target).is_file(), f"{page.name}: missing image {target}"


def test_benchmark_commands_match_the_scripts():
    for command in shell_commands("reliability/one_benchmark.sh"):
        words = shlex.split(command)
        script = ROOT / words[1]
        assert script.is_file(), words[1]
        source = script.read_text()
        for flag in (w for w in words[2:] if w.startswith("--")):
            assert f'"{flag}"' in source, f"{words[1]} has no option {flag}"
    (suite,) = shell_commands("reliability/suite.sh")
    assert (ROOT / shlex.split(suite)[1]).is_dir()
    (command,) = shell_commands("reliability/bench.sh")
    done = subprocess.run(
        ["make", "-n", *shlex.split(command)[1:]],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
