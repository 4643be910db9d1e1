"""Every code block of every page is checked, and the code is on the page itself.

Pages are every ``docs/**/*.md``, the README and CONTRIBUTING.md, found anew on each run: a page added
tomorrow is checked without a change here. Each block is checked by its language:

- ``python``: compiles, and every name it imports from ``django_tryon`` exists;
- ``sh``: each command is one the project has: ``manage.py`` commands and their options,
  ``make`` targets, ``bench/`` scripts and their options, ``pip install`` extras;
- ``django``: parses as a Django template with the app's template tags;
- ``js``: ``node --check`` accepts it; ``css``: its braces and comments balance;
- ``text``: output, URLs, diagrams; ``markdown``: how to write a page: not checked.

A block named by ``<!-- block: folder/name.ext -->`` on the line before its fence is also
run by a test of ``tests/docs/`` (which this module checks by the name appearing there).
The convention for writers: CONTRIBUTING.md, "Writing the docs".
"""

from __future__ import annotations

import ast
import importlib
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.availability import ON_CI
from tests.docs.support import (
    DOCS,
    INCLUDE,
    ROOT,
    Block,
    blocks,
    named_blocks,
    page_blocks,
    pages,
)

LANGUAGES = {"python", "sh", "django", "js", "css", "text", "markdown"}
TESTS = ROOT / "tests" / "docs"


def block_id(block: Block) -> str:
    return block.where


def of(*languages: str) -> list[Block]:
    return [block for block in blocks() if block.language in languages]


# What every page must respect -----------------------------------------------------------


def test_every_page_is_found(tmp_path):
    assert DOCS / "index.md" in pages() and ROOT / "README.md" in pages()
    page = tmp_path / "new.md"
    page.write_text("Some text.\n\n<!-- block: new/x.py -->\n```python\nx = 1\n```\n")
    (block,) = page_blocks(page)
    assert (block.language, block.name, block.text) == ("python", "new/x.py", "x = 1\n")


def test_blocks_hold_code_not_includes():
    """The reader of the repository sees the code: no block includes a file."""
    offenders = [
        block.where
        for block in blocks()
        if any(INCLUDE.match(line) for line in block.text.splitlines())
    ]
    assert not offenders, "blocks that include a file (write the code in the page):\n" + "\n".join(
        offenders
    )


def test_includes_outside_blocks_are_markdown():
    """mkdocs' ``--8<--`` outside a block pulls in Markdown (bench/RESULTS.md), never code."""
    for page in pages():
        for line in page.read_text().splitlines():
            match = INCLUDE.match(line)
            if match:
                path = match.group(1).split(":", 1)[0]
                assert path.endswith(".md") and (ROOT / path).is_file(), f"{page.name}: {line}"


def test_every_block_says_its_language():
    unknown = [
        f"{b.where} ({b.language or 'none'})" for b in blocks() if b.language not in LANGUAGES
    ]
    assert not unknown, f"languages are one of {sorted(LANGUAGES)}:\n" + "\n".join(unknown)


def test_named_blocks_are_run_by_a_test():
    named_blocks()  # a name used twice must show the same code twice
    sources = "\n".join(
        path.read_text() for path in TESTS.glob("*.py") if path.name != Path(__file__).name
    )
    untested = []
    for name in named_blocks():
        folder = name.rsplit("/", 1)[0]
        if f'"{name}"' not in sources and f'"{folder}/*"' not in sources:
            untested.append(name)
    assert not untested, f"named blocks no test in tests/docs runs: {untested}"


# Python -----------------------------------------------------------------------------------


@pytest.mark.parametrize("block", of("python"), ids=block_id)
def test_python_block_compiles_and_imports_what_exists(block):
    tree = compile(block.text, block.where, "exec", flags=ast.PyCF_ONLY_AST)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("django_tryon"):
            module = importlib.import_module(node.module)
            for alias in node.names:
                assert hasattr(module, alias.name) or importlib.util.find_spec(
                    f"{node.module}.{alias.name}"
                ), f"{block.where}: {node.module} has no {alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("django_tryon"):
                    importlib.import_module(alias.name)


# Shell ------------------------------------------------------------------------------------


def commands(text: str) -> list[list[str]]:
    """The commands of a shell block, as words: continuations joined, ``&&`` and ``;``
    split, comments and leading ``NAME=value`` assignments dropped."""
    found = []
    lines = text.replace("\\\n", " ").splitlines()
    for line in lines:
        line = substitutions(line, into=lines)
        words: list[str] = []
        for word in [*shlex.split(line, comments=True), "&&"]:
            if word in ("&&", ";", "||"):
                while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
                    words.pop(0)
                if words:
                    found.append(words)
                words = []
            else:
                words.append(word)
    return found


def substitutions(line: str, into: list[str]) -> str:
    """``line`` with each ``$(command)`` replaced by a word; the commands go to ``into``."""
    while (start := line.find("$(")) >= 0:
        depth, end = 0, start + 1
        for end in range(start + 1, len(line)):
            depth += {"(": 1, ")": -1}.get(line[end], 0)
            if depth == 0:
                break
        into.append(line[start + 2 : end])
        line = line[:start] + "VALUE" + line[end + 1 :]
    return line


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([\w.-]+)\s*:(?!=)", text, re.M))


def check_manage(words: list[str], where: str) -> None:
    from django.core.management import get_commands, load_command_class

    name, *rest = words
    known = get_commands()
    assert name in known, f"{where}: manage.py has no command {name!r}"
    parser = load_command_class(known[name], name).create_parser("manage.py", name)
    options = set(parser._option_string_actions)
    for word in rest:
        if word.startswith("-"):
            assert word.split("=", 1)[0] in options, f"{where}: {name} has no option {word}"


def check_pip(words: list[str], where: str) -> None:
    import tomllib

    if not words or words[0] != "install":
        return
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = set(meta["optional-dependencies"])
    for target in (w for w in words[1:] if not w.startswith("-")):
        name, _, rest = target.partition("[")
        assert name.rstrip("/").endswith(meta["name"]), f"{where}: installs {target}, not us"
        unknown = set(rest.rstrip("]").split(",")) - {""} - extras
        assert not unknown, f"{where}: no extra {unknown} in pyproject.toml"


def check_script(words: list[str], where: str) -> None:
    script = ROOT / words[0]
    assert script.is_file(), f"{where}: no script {words[0]}"
    source = script.read_text()
    for flag in (w for w in words[1:] if w.startswith("--")):
        assert f'"{flag.split("=", 1)[0]}"' in source, f"{where}: {words[0]} has no {flag}"


def check_command(words: list[str], where: str) -> None:
    program, *args = words
    if program.endswith("python") or program == "django-admin":
        if program == "django-admin":
            args = ["manage.py", *args]
        if args[:1] == ["manage.py"]:
            check_manage(args[1:], where)
        elif args[:2] == ["-m", "pip"]:
            check_pip(args[2:], where)
        elif args[:1] == ["-m"]:
            assert importlib.util.find_spec(args[1]), f"{where}: no module {args[1]}"
        elif args[:1] == ["-c"]:
            compile(args[1], where, "exec")
        else:
            check_script(args, where)
    elif program == "pip":
        check_pip(args, where)
    elif program == "make":
        missing = {a for a in args if "=" not in a and not a.startswith("-")} - makefile_targets()
        assert not missing, f"{where}: the Makefile has no target {missing}"
    elif program.endswith("pytest"):
        for path in (a for a in args if not a.startswith("-")):
            assert (ROOT / path.split("::")[0]).exists(), f"{where}: no {path}"
    else:
        # Any other tool: one the dev install brings (its console script) or the system has.
        assert shutil.which(program) or (ROOT / ".venv" / "bin" / program).exists(), (
            f"{where}: unknown program {program!r}"
        )


@pytest.mark.parametrize("block", of("sh"), ids=block_id)
def test_shell_block_runs_commands_that_exist(block):
    found = commands(block.text)
    assert found, f"{block.where}: a shell block with no command"
    for words in found:
        check_command(words, block.where)


def test_shell_checks_catch_what_does_not_exist():
    for wrong in (
        "python manage.py tryon_frobnicate",
        "python manage.py tryon_check --no-such-option",
        "make no-such-target",
        'python -m pip install "django-tryon[no-such-extra]"',
        ".venv/bin/python bench/pipeline_throughput.py --no-such-flag",
    ):
        with pytest.raises(AssertionError):
            for words in commands(wrong):
                check_command(words, "example")


# Templates, scripts, styles ---------------------------------------------------------------


@pytest.mark.parametrize("block", of("django"), ids=block_id)
def test_template_block_parses(block):
    from django.template import Engine

    engine = Engine(
        libraries={
            "tryon": "django_tryon.templatetags.tryon",
            # The Oscar page's tags; its module loads without Oscar installed.
            "tryon_oscar": "django_tryon.contrib.oscar.templatetags.tryon_oscar",
        }
    )
    engine.from_string(block.text)


@pytest.mark.parametrize("block", of("js"), ids=block_id)
def test_javascript_block_parses(block, tmp_path):
    node = shutil.which("node")
    if node is None:
        if ON_CI:
            pytest.fail("node runs the browser tests' tools on CI")
        pytest.skip("node is not installed")
    script = tmp_path / "block.js"
    script.write_text(block.text)
    done = subprocess.run(
        [node, "--check", str(script)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{block.where}: {done.stderr}"


@pytest.mark.parametrize("block", of("css"), ids=block_id)
def test_css_block_balances(block):
    text = re.sub(r"/\*.*?\*/", "", block.text, flags=re.S)
    assert "/*" not in text and "*/" not in text, f"{block.where}: an unclosed comment"
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0, f"{block.where}: a '}}' without its '{{'"
    assert depth == 0, f"{block.where}: a '{{' without its '}}'"
