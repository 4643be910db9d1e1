"""The settings reference and the provider option tables match the code.

Each table is parsed from the page: a row is ``| `NAME` | default | meaning |``. A key of
``conf.DEFAULTS`` missing from the page fails, a key on the page that the code no longer
has fails, and a default written as code on the page must equal the code's default.
Provider options are checked against what the code actually reads (``option("X")``,
``options.get("X")``) and against each backend's ``options_schema``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from django_tryon.conf import DEFAULTS
from tests.docs.support import DOCS, ROOT

ROW = re.compile(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|\s*(.*?)\s*\|\s*(.*?)\s*\|\s*$")
# option("X"), options.get("X"), options["X"], and an alias's dict: ...).get("X"), ...].get("X")
READ_OPTION = re.compile(
    r"""(?:\boption\(|options\.get\(|options\[|[)\]]\.get\()\s*["']([A-Z][A-Z0-9_]*)["']"""
)
PACKAGE = ROOT / "django_tryon"

# Modules whose options every backend (or every HTTP backend) understands.
# The pipeline package reads provider options in its steps, outcomes and alias policy.
COMMON_MODULES = [
    "providers/base.py",
    "providers/http.py",
    "pipeline/steps.py",
    "pipeline/outcomes.py",
    "pipeline/aliases.py",
    "checks.py",
]
PROVIDER_PAGES = {
    "providers/sandbox.md": (
        "providers/sandbox.py",
        "django_tryon.providers.sandbox.SandboxProvider",
    ),
    "providers/magichour.md": (
        "providers/magichour.py",
        "django_tryon.providers.magichour.MagicHourProvider",
    ),
    "providers/changeclothes.md": (
        "providers/changeclothes.py",
        "django_tryon.providers.changeclothes.ChangeClothesProvider",
    ),
    "providers/fashn.md": (
        "providers/fashn.py",
        "django_tryon.providers.fashn.FashnProvider",
    ),
    "providers/vertex.md": (
        "providers/vertex.py",
        "django_tryon.providers.vertex.VertexProvider",
    ),
}


def table_after(page: Path, heading: str) -> dict[str, tuple[str, str]]:
    """The ``NAME -> (default, meaning)`` rows of the first table under ``heading``."""
    lines = page.read_text().splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == heading)
    except StopIteration:
        raise AssertionError(f"{page.name} has no heading {heading!r}") from None
    rows: dict[str, tuple[str, str]] = {}
    in_table = False
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            in_table = True
            match = ROW.match(line)
            if match:
                name, default, meaning = match.groups()
                assert name not in rows, f"{page.name}: {name} is listed twice"
                rows[name] = (default, meaning)
        elif in_table:
            break
    assert rows, f"{page.name}: no table rows under {heading!r}"
    return rows


def options_read_by(*modules: str) -> set[str]:
    names: set[str] = set()
    for module in modules:
        names |= set(READ_OPTION.findall((PACKAGE / module).read_text()))
    return names


def all_options_read() -> set[str]:
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        if "testing" not in path.parts:
            names |= set(READ_OPTION.findall(path.read_text()))
    return names


SETTINGS_PAGE = DOCS / "settings.md"


def test_every_setting_is_documented_and_every_documented_setting_exists():
    documented = table_after(SETTINGS_PAGE, "## Keys")
    missing = set(DEFAULTS) - set(documented)
    stale = set(documented) - set(DEFAULTS)
    assert not missing, f"settings missing from docs/settings.md: {sorted(missing)}"
    assert not stale, f"docs/settings.md lists settings the code doesn't have: {sorted(stale)}"


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_documented_default_matches_the_code(key):
    default, meaning = table_after(SETTINGS_PAGE, "## Keys")[key]
    assert meaning, f"{key} has no meaning on the page"
    match = re.fullmatch(r"`(.+)`", default)
    assert match, f"{key}: write the default as a Python literal in backticks, not {default!r}"
    value = ast.literal_eval(match.group(1))
    assert value == DEFAULTS[key], f"{key}: the page says {value!r}, the code {DEFAULTS[key]!r}"


def test_common_provider_options_are_the_ones_the_core_reads():
    documented = set(table_after(SETTINGS_PAGE, "## Provider options"))
    read = options_read_by(*COMMON_MODULES) | {"BACKEND"}
    assert documented == read, (
        f"undocumented: {sorted(read - documented)}; "
        f"documented but not read by the core: {sorted(documented - read)}"
    )


@pytest.mark.parametrize("page", sorted(PROVIDER_PAGES))
def test_provider_page_lists_its_options(page):
    from django.utils.module_loading import import_string

    module, dotted = PROVIDER_PAGES[page]
    backend = import_string(dotted)
    documented = set(table_after(DOCS / page, "## Options"))
    own = options_read_by(module) | set(backend.options_schema)
    assert own <= documented, f"{page} misses options {sorted(own - documented)}"
    unknown = documented - all_options_read()
    assert not unknown, f"{page} lists options no code reads: {sorted(unknown)}"


def test_every_provider_backend_has_a_page():
    shipped = {
        path.name
        for path in (PACKAGE / "providers").glob("*.py")
        if path.stem not in ("__init__", "base", "http")
    }
    documented = {Path(module).name for module, _ in PROVIDER_PAGES.values()}
    assert shipped == documented, f"provider modules without a page: {sorted(shipped - documented)}"
