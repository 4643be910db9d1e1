"""Paths and helpers shared by the documentation tests.

The code a reader sees is in the pages themselves (docs/*.md, README.md), in fenced blocks.
Tests find a block by the name on the line before its fence, ``<!-- block: integration/urls.py -->``,
and run it; ``test_blocks.py`` checks every block of every page, named or not, by language.
"""

from __future__ import annotations

import atexit
import functools
import io
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DOCS = ROOT / "docs"

# ``--8<-- "path"``: mkdocs' include; pages use it for bench/RESULTS.md (Markdown), never for code.
INCLUDE = re.compile(r'^\s*-{1,2}8<-{1,2}\s+"([^"]+)"\s*$')
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<language>[\w+-]*)")
# ``<!-- block: folder/name.ext -->`` on the line before a fence names the block for a test.
NAME = re.compile(r"^\s*<!--\s*block:\s*(?P<name>\S+)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    """A fenced code block of a documentation page, as a reader sees it."""

    page: Path
    line: int  # of the opening fence, 1-based
    language: str
    name: str | None
    text: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def pages() -> list[Path]:
    """Every Markdown page of the site, the README and CONTRIBUTING."""
    return [*sorted(DOCS.rglob("*.md")), ROOT / "README.md", ROOT / "CONTRIBUTING.md"]


def page_blocks(page: Path) -> list[Block]:
    """The fenced blocks of ``page``, dedented to their fence, with their names if any."""
    lines = page.read_text().splitlines()
    found = []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence = len(match["indent"]), match["fence"]
        label = NAME.match(lines[i - 1]) if i else None
        start, body = i, []
        i += 1
        while i < len(lines) and not (
            lines[i].strip().startswith(fence) and not lines[i].strip().strip(fence[0])
        ):
            line = lines[i]
            body.append(line[indent:] if line.startswith(" " * indent) else line.lstrip())
            i += 1
        text = "\n".join(body) + "\n" if body else ""
        found.append(
            Block(page, start + 1, match["language"], label["name"] if label else None, text)
        )
        i += 1
    return found


@functools.cache
def blocks() -> tuple[Block, ...]:
    return tuple(block for page in pages() for block in page_blocks(page))


@functools.cache
def named_blocks() -> dict[str, Block]:
    """Named blocks by name. A name used twice must show the same code both times."""
    named: dict[str, Block] = {}
    for block in blocks():
        if block.name is None:
            continue
        first = named.setdefault(block.name, block)
        assert first.text == block.text, (
            f"{block.where} and {first.where} are both {block.name!r} but differ"
        )
    return named


def read_snippet(name: str) -> str:
    """The code of the block named ``name`` (``<!-- block: name -->``) on some page."""
    block = named_blocks().get(name)
    assert block is not None, f"no page has a block named {name!r}"
    return block.text


@functools.cache
def _written_blocks() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="docs-blocks-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    for name, block in named_blocks().items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(block.text)
    return folder


def snippet(name: str) -> Path:
    """The named block as a file of that name (in a folder of its own), for tools that
    want files: ``runpy``, a pytest run, a template directory. Absent if no page has it."""
    return _written_blocks() / name


def snippet_folder(folder: str) -> Path:
    """A folder holding every block named ``folder/...``."""
    return _written_blocks() / folder


def shell_commands(name: str) -> list[str]:
    """The commands of a shell block: its lines, minus comments and blank lines."""
    lines = read_snippet(name).splitlines()
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
