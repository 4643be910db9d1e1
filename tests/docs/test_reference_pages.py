"""Reference pages that mirror the code: system checks, management commands, quick start."""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest
from django.core.management import call_command, load_command_class

from django_tryon.checks import __doc__ as CHECKS_DOC
from tests.docs.support import DOCS, ROOT, clean_env, shell_commands

COMMANDS = ["tryon_check", "tryon_generate", "tryon_cleanup", "tryon_emulator"]
# Options every Django command has.
DJANGO_OPTIONS = {
    "--version",
    "--verbosity",
    "--settings",
    "--pythonpath",
    "--traceback",
    "--no-color",
    "--force-color",
    "--skip-checks",
    "--help",
}


def test_every_system_check_is_on_the_page():
    in_code = {f"tryon.{code}" for code in re.findall(r"^([EW]\d{3})\s", CHECKS_DOC, re.M)}
    source = (ROOT / "django_tryon" / "checks.py").read_text()
    raised = set(re.findall(r'id="(tryon\.[EW]\d{3})"', source))
    assert in_code == raised, "checks.py's docstring and its checks disagree"
    page = set(re.findall(r"^\| `(tryon\.[EW]\d{3})`", (DOCS / "checks.md").read_text(), re.M))
    assert page == raised, f"missing: {raised - page}; gone: {page - raised}"


def command_section(name: str) -> str:
    text = (DOCS / "commands.md").read_text()
    start = text.index(f"## {name}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def parser_for(name: str):
    return load_command_class("django_tryon", name).create_parser("manage.py", name)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_options_match_the_parser(name):
    parser = parser_for(name)
    options = set()
    for action in parser._actions:
        if action.option_strings:
            options |= {s for s in action.option_strings if s.startswith("--")}
        else:
            options.add(action.dest)
    options -= DJANGO_OPTIONS | {"args"}
    documented = set(re.findall(r"^\| `([-\w]+)` \|", command_section(name), re.M))
    assert documented == options, (
        f"undocumented: {options - documented}; gone: {documented - options}"
    )


@pytest.mark.parametrize(
    "snippet",
    ["commands/tryon_generate.sh", "commands/tryon_cleanup.sh", "commands/tryon_check.sh"],
)
def test_command_examples_parse(snippet):
    for command in shell_commands(snippet):
        words = shlex.split(command)
        assert words[:2] == ["python", "manage.py"]
        parser_for(words[2]).parse_args(words[3:])


def test_generate_dry_run_prints_the_cost(garment, model_photo, capsys):
    call_command("tryon_generate", "--all", "--dry-run")
    out = capsys.readouterr().out
    assert "Estimated cost: 1 credits." in out
    assert "Dry run: nothing was created." in out


def test_cleanup_examples_run(db, capsys):
    for command in shell_commands("commands/tryon_cleanup.sh"):
        call_command(*shlex.split(command)[2:])
    assert "expired try-on(s)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "snippet",
    [
        "quickstart/demo.sh",
        "quickstart/demo_port.sh",
        "quickstart/test.sh",
        "quickstart/demo_reset.sh",
    ],
)
def test_quick_start_commands_are_make_targets(snippet):
    for command in shell_commands(snippet):
        words = shlex.split(command)
        variables = [w for w in words if "=" in w and not w.startswith("-")]
        assert words[len(variables)] == "make"
        # -n: print what would run, run nothing. It fails for an unknown target.
        done = subprocess.run(
            ["make", "-n", *words[len(variables) + 1 :], *variables],
            cwd=ROOT,
            env=clean_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
