"""Paths and helpers shared by the documentation tests."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DOCS = ROOT / "docs"
SNIPPETS = DOCS / "snippets"

# ``--8<-- "path"`` or ``--8<-- "path:section"`` on a line of its own.
INCLUDE = re.compile(r'^\s*-{1,2}8<-{1,2}\s+"([^"]+)"\s*$')


def pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def snippet(relative: str) -> Path:
    return SNIPPETS / relative


def read_snippet(relative: str, section: str | None = None) -> str:
    """A snippet file, or one ``--8<-- [start:name]`` ... ``[end:name]`` section of it."""
    text = snippet(relative).read_text()
    if section is None:
        return strip_section_markers(text)
    match = re.search(
        rf"^.*--8<-- \[start:{re.escape(section)}\].*\n(.*?)^.*--8<-- \[end:{re.escape(section)}\]",
        text,
        re.S | re.M,
    )
    assert match, f"{relative} has no section {section!r}"
    return strip_section_markers(match.group(1))


def strip_section_markers(text: str) -> str:
    return "".join(
        line
        for line in text.splitlines(keepends=True)
        if "--8<-- [start:" not in line and "--8<-- [end:" not in line
    )


def shell_commands(relative: str) -> list[str]:
    """The commands of a shell snippet: its lines, minus comments and blank lines."""
    lines = read_snippet(relative).splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a fresh project's commands: none of the test suite's settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "TRYON_")) and key not in ("DATABASE_URL", "PYTHONPATH")
    }
    env.update(extra)
    return env


def person_photo(size: tuple[int, int] = (640, 800)) -> bytes:
    """A picture of a drawn person that passes the shopper photo checks."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, (235, 235, 240))
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse((w * 0.38, h * 0.08, w * 0.62, h * 0.3), fill=(180, 150, 120))
    draw.rectangle((w * 0.3, h * 0.3, w * 0.7, h * 0.7), fill=(60, 90, 160))
    draw.rectangle((w * 0.33, h * 0.7, w * 0.47, h * 0.98), fill=(40, 40, 60))
    draw.rectangle((w * 0.53, h * 0.7, w * 0.67, h * 0.98), fill=(40, 40, 60))
    for i in range(0, w, 40):
        draw.line((i, 0, i, h // 20), fill=(0, 0, 0), width=2)
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()
