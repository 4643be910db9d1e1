"""The figures table of docs/reliability.md names commands that exist, with options that exist.

Each row's command (in backticks) is a pytest run of files or folders of this suite, or a
script of ``bench/`` with its options: a renamed test module or a dropped option fails
here, not in a reader's terminal.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PAGE = ROOT / "docs" / "reliability.md"
ROW = re.compile(r"^\|(?P<cells>.+)\|\s*$")


def commands() -> list[str]:
    text = PAGE.read_text()
    start = text.find("## Reliability and security figures")
    assert start != -1, "docs/reliability.md has no figures section"
    section = text[start:]
    end = section.find("\n## ", 4)
    found = []
    for line in section[: end if end != -1 else None].splitlines():
        match = ROW.match(line)
        if match:
            cells = [cell.strip() for cell in match.group("cells").split("|")]
            found += re.findall(r"`([^`]*(?:pytest|bench/|make )[^`]*)`", cells[-1])
    return found


def test_the_figures_table_lists_commands():
    assert len(commands()) >= 7


def test_every_command_points_at_something_that_exists():
    for command in commands():
        words = shlex.split(command.replace("…", ""))
        if words[0] == "make":
            makefile = (ROOT / "Makefile").read_text()
            assert re.search(rf"^{words[1]}:", makefile, re.MULTILINE), command
            continue
        paths = [w for w in words if w.startswith(("tests/", "bench/"))]
        assert paths, command
        for word in paths:
            path = ROOT / word.split("::", 1)[0]
            assert path.exists(), f"{command}: {path} does not exist"
            if word.startswith("bench/"):
                source = path.read_text()
                for flag in (w.split("=", 1)[0] for w in words if w.startswith("--")):
                    assert f'"{flag}"' in source, f"{word} has no option {flag}"
