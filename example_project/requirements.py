#!/usr/bin/env python
"""Print the demo's requirements, one a line, as pyproject.toml declares them.

``make demo`` installs these instead of the whole ``dev`` extra: the package's own
dependencies plus the extras named on the command line (``python requirements.py demo``).
The package itself is not among them: the demo runs it from the checkout.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def requirements(*extras: str) -> list[str]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    optional = project["optional-dependencies"]
    unknown = set(extras) - set(optional)
    if unknown:
        raise SystemExit(f"no such extra in {PYPROJECT.name}: {', '.join(sorted(unknown))}")
    found = list(project["dependencies"])
    for extra in extras:
        for requirement in optional[extra]:
            if requirement.startswith(project["name"] + "["):
                raise SystemExit(f"extra {extra!r} names other extras: list its requirements")
            found.append(requirement)
    return found


if __name__ == "__main__":
    print("\n".join(requirements(*sys.argv[1:])))
