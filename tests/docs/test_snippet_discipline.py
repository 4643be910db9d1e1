"""No code on a page that a test doesn't run.

- Every fenced code block of a page only includes snippet files (``--8<-- "path"``), except
  ``text`` blocks (URLs, output), which hold no code.
- Every included file exists, and every snippet file is included by some page.
- Every snippet file is used by a test of ``tests/docs/``: its path (relative to
  ``docs/snippets/``) appears in a test module, or its folder does as ``"folder/*"`` for
  tests that run every file of a folder.
"""

from __future__ import annotations

import re

from tests.docs.support import DOCS, INCLUDE, ROOT, SNIPPETS, pages

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")
TESTS = DOCS.parent / "tests" / "docs"


def fenced_blocks():
    """(page, first line number, language, body lines) of every fenced block."""
    for page in pages():
        if SNIPPETS in page.parents:
            continue
        lines = page.read_text().splitlines()
        i = 0
        while i < len(lines):
            match = FENCE.match(lines[i])
            if not match:
                i += 1
                continue
            _indent, fence, language = match.groups()
            body = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(fence):
                body.append(lines[i])
                i += 1
            yield page, i, language, body
            i += 1


def included_paths():
    for page in pages():
        for line in page.read_text().splitlines():
            match = INCLUDE.match(line)
            if match:
                yield page, match.group(1).split(":", 1)[0]


def test_code_blocks_only_include_snippets():
    offenders = []
    for page, line, language, body in fenced_blocks():
        if language == "text":
            continue
        code = [text for text in body if text.strip()]
        if not code or not all(INCLUDE.match(text) for text in code):
            offenders.append(f"{page.relative_to(DOCS)}:{line} ({language or 'no language'})")
    assert not offenders, "code blocks written inline (include a tested snippet):\n" + "\n".join(
        offenders
    )


def test_included_snippets_exist():
    missing = [
        f"{page.relative_to(DOCS)}: {path}"
        for page, path in included_paths()
        if not (SNIPPETS / path).is_file() and not (ROOT / path).is_file()
    ]
    assert not missing, missing


def snippet_files():
    return sorted(
        path.relative_to(SNIPPETS).as_posix()
        for path in SNIPPETS.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )


def test_every_snippet_is_on_a_page():
    used = {path for _, path in included_paths()}
    orphans = [path for path in snippet_files() if path not in used]
    assert not orphans, f"snippet files no page includes: {orphans}"


def test_every_snippet_is_run_by_a_test():
    sources = "\n".join(
        path.read_text() for path in TESTS.glob("*.py") if path.name != "test_snippet_discipline.py"
    )
    untested = []
    for path in snippet_files():
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        if f'"{path}"' not in sources and f'"{folder}/*"' not in sources:
            untested.append(path)
    assert not untested, f"snippet files no test in tests/docs uses: {untested}"
