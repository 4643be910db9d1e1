"""The provider pages' settings pass the system checks, and their emulator recipes work."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time

import pytest
from django.test import override_settings

from django_tryon.checks import check_settings
from django_tryon.providers import get_provider
from tests.docs.support import DOCS, ROOT, clean_env, read_snippet, shell_commands

ENV = {
    "MAGICHOUR_API_KEY": "mh-docs-key",
    "MAGICHOUR_WEBHOOK_SECRET": "whsec-docs",
    "CHANGECLOTHES_API_KEY": "cc-docs-key",
    "FASHN_API_KEY": "fa-docs-key",
    "MAGICHOUR_SHOP_KEY": "mh-shop",
    "MAGICHOUR_CATALOGUE_KEY": "mh-catalogue",
    "GOOGLE_CLOUD_PROJECT": "shop-docs",
}
SETTINGS = [
    "providers/sandbox_settings.py",
    "providers/magichour_settings.py",
    "providers/changeclothes_settings.py",
    "providers/fashn_settings.py",
    "providers/vertex_settings.py",
    "providers/failover_settings.py",
    "providers/two_accounts.py",
]


def settings_from(*snippets: str, env: dict[str, str] | None = None) -> dict:
    """Run settings snippets one after the other in one namespace, as settings.py would."""
    namespace: dict = {}
    saved = dict(os.environ)
    os.environ.update(env or ENV)
    try:
        for name in snippets:
            exec(compile(read_snippet(name), name, "exec"), namespace)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return namespace


def integration_q_cluster() -> dict:
    return settings_from("integration/settings_q_cluster.py")["Q_CLUSTER"]


@pytest.mark.parametrize("name", SETTINGS)
def test_provider_settings_pass_the_system_checks(name, settings):
    tryon = settings_from(name)["TRYON"]
    with override_settings(TRYON=tryon, Q_CLUSTER=integration_q_cluster(), DEBUG=False):
        problems = check_settings()
        assert not problems, [str(p) for p in problems]
        for alias in tryon["PROVIDERS"]:
            assert get_provider(alias).alias == alias


def test_a_missing_key_is_a_system_check_error_not_a_crash():
    tryon = settings_from("providers/magichour_settings.py")["TRYON"]
    tryon["PROVIDERS"]["magichour"]["API_KEY"] = ""
    with override_settings(TRYON=tryon, Q_CLUSTER=integration_q_cluster()):
        assert [p.id for p in check_settings()] == ["tryon.E003"]


def test_magichour_webhook_url_on_the_page_is_the_routed_one():
    from django.urls import reverse

    page = (DOCS / "providers/magichour.md").read_text()
    # tests/urls.py mounts the app at tryon/, as the integration page does.
    routed = reverse("django_tryon:magichour_webhook", args=["ALIAS"]).replace("ALIAS", "<alias>")
    assert routed == "/tryon/webhooks/magichour/<alias>/"
    assert routed in page


def test_fashn_webhook_url_on_the_page_and_in_the_settings_is_the_routed_one():
    from django.urls import reverse

    page = (DOCS / "providers/fashn.md").read_text()
    routed = reverse("django_tryon:fashn_webhook", args=["ALIAS"]).replace("ALIAS", "<alias>")
    assert routed == "/tryon/webhooks/fashn/<alias>/" and routed in page
    url = settings_from("providers/fashn_settings.py")["TRYON"]["PROVIDERS"]["fashn"]
    assert url["WEBHOOK_URL"].endswith(routed.replace("<alias>", "fashn"))


@pytest.mark.parametrize(
    ("provider", "command_snippet", "settings_snippets"),
    [
        (
            "magichour",
            "testing/emulator_magichour.sh",
            ("providers/magichour_settings.py", "providers/magichour_emulator.py"),
        ),
        (
            "changeclothes",
            "testing/emulator_changeclothes.sh",
            ("providers/changeclothes_settings.py", "providers/changeclothes_emulator.py"),
        ),
        (
            "fashn",
            "testing/emulator_fashn.sh",
            ("providers/fashn_settings.py", "providers/fashn_emulator.py"),
        ),
        (
            "vertex",
            "testing/emulator_vertex.sh",
            ("providers/vertex_settings.py", "providers/vertex_emulator.py"),
        ),
    ],
)
def test_emulator_recipe_passes_tryon_check(provider, command_snippet, settings_snippets, db):
    from django_tryon.services.checks import check_credentials

    (command,) = shell_commands(command_snippet)
    args = shlex.split(command)
    assert args[:3] == ["python", "manage.py", "tryon_emulator"]
    # manage.py is the shop's; here the test settings stand in for it.
    args = [sys.executable, "-m", "django", *args[2:]]
    env = clean_env(DJANGO_SETTINGS_MODULE="tests.settings", PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 20
        line = ""
        while "listening on" not in line:
            assert time.monotonic() < deadline and process.poll() is None, "emulator didn't start"
            line = process.stdout.readline()
        tryon = settings_from(*settings_snippets)["TRYON"]
        with override_settings(TRYON=tryon, Q_CLUSTER=integration_q_cluster(), DEBUG=True):
            assert not check_settings()
            (verdict,) = check_credentials(provider)
            assert verdict.ok, verdict.message
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_the_vertex_install_line_names_an_extra_that_brings_google_auth():
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    (command,) = shell_commands("providers/vertex_install.sh")
    extra = shlex.split(command)[-1].partition("[")[2].rstrip("]")
    assert any(requirement.startswith("google-auth") for requirement in extras[extra])
