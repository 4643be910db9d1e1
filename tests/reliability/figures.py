"""Figures the reliability and security suites report (docs/reliability.md lists them).

A test calls ``record("name", **numbers)``; at the end of the run the figures are printed
as ``FIGURE name key=value ...`` lines in pytest's summary and written, one JSON object a
line, to ``tests/artifacts/figures.jsonl`` (``TRYON_FIGURES`` overrides the path).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
PATH = Path(os.environ.get("TRYON_FIGURES", ROOT / "tests" / "artifacts" / "figures.jsonl"))

_figures: dict[str, dict[str, Any]] = defaultdict(dict)


def record(name: str, **numbers: Any) -> None:
    """Add to the figure ``name``: numbers are summed, anything else is kept as given."""
    figure = _figures[name]
    for key, value in numbers.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            figure[key] = figure.get(key, 0) + value
        else:
            figure[key] = value


def count(name: str, key: str, by: int = 1) -> None:
    record(name, **{key: by})


def figures() -> dict[str, dict[str, Any]]:
    return dict(_figures)


def lines() -> list[str]:
    out = []
    for name in sorted(_figures):
        fields = " ".join(f"{key}={_figures[name][key]}" for key in sorted(_figures[name]))
        out.append(f"FIGURE {name} {fields}")
    return out


def write() -> None:
    if not _figures:
        return
    PATH.parent.mkdir(parents=True, exist_ok=True)
    with PATH.open("a") as out:
        for name in sorted(_figures):
            out.write(json.dumps({"figure": name, **_figures[name]}, sort_keys=True) + "\n")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Shared by the two suites' conftests."""
    if not _figures:
        return
    terminalreporter.section("reliability and security figures")
    for line in lines():
        terminalreporter.write_line(line)
    write()
    _figures.clear()
