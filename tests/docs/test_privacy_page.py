"""docs/privacy.md names the test behind each promise: each named test exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "privacy.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")


def references() -> list[tuple[str, str]]:
    return REFERENCE.findall(PAGE.read_text())


def test_the_page_names_its_tests():
    assert len(references()) >= 20


@pytest.mark.parametrize(("path", "name"), references(), ids=lambda v: str(v))
def test_each_named_test_exists(path, name):
    source = ROOT / path
    assert source.is_file(), f"docs/privacy.md names {path}, which doesn't exist"
    assert re.search(rf"^def {name}\(", source.read_text(), re.M), f"{path} has no {name}"
