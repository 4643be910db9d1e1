"""The example shop's settings: safe to run with DEBUG off, private shopper files in every mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "example_project"


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``example_project/manage.py`` in a clean environment plus ``env``."""
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "TRYON_", "AWS_")) and key != "DATABASE_URL"
    }
    base["PYTHONPATH"] = str(ROOT)  # this checkout's django_tryon
    return subprocess.run(
        [sys.executable, str(EXAMPLE / "manage.py"), *args],
        env={**base, **env},
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_with_debug_off_the_public_demo_secret_key_refuses_to_start():
    result = manage("check", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr  # says how to set one


@pytest.mark.parametrize(
    "env",
    [{}, {"DJANGO_DEBUG": "1"}, {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "x" * 50}],
    ids=["demo-default-debug", "debug-on", "debug-off-own-key"],
)
def test_the_demo_and_a_shop_with_its_own_key_start(env):
    result = manage("check", **env)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def shop_settings(**env: str) -> dict[str, object]:
    """The example shop's STORAGES and TRYON as its settings module builds them from ``env``."""
    script = (
        "import json, shop.settings as s; "
        "print(json.dumps({'STORAGES': s.STORAGES, 'TRYON': s.TRYON, "
        "'MEDIA_ROOT': str(s.MEDIA_ROOT)}, default=str))"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TRYON_", "AWS_"))}
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**base, "PYTHONPATH": f"{ROOT}{os.pathsep}{EXAMPLE}", **env},
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    import json

    return json.loads(result.stdout)


def test_shoppers_files_are_private_on_local_disk():
    conf = shop_settings()
    private = conf["STORAGES"]["tryon_private"]
    assert conf["TRYON"]["PRIVATE_STORAGE"] == "tryon_private"
    assert private["BACKEND"] == "django_tryon.storage.PrivateFileSystemStorage"
    location = Path(private["OPTIONS"]["location"])
    assert Path(conf["MEDIA_ROOT"]) not in (location, *location.parents)


S3_ENV = {
    "TRYON_STORAGE": "s3",
    "AWS_ACCESS_KEY_ID": "k",
    "AWS_SECRET_ACCESS_KEY": "s",
    "AWS_STORAGE_BUCKET_NAME": "shop",
    "AWS_S3_REGION_NAME": "eu-west-1",
}


def test_shoppers_files_are_private_on_s3():
    private = shop_settings(**S3_ENV)["STORAGES"]["tryon_private"]
    assert private["BACKEND"] == "storages.backends.s3.S3Storage"
    options = private["OPTIONS"]
    assert options["querystring_auth"] is True and options["default_acl"] == "private"
    assert options["location"] == "private"


def test_both_storage_modes_pass_the_private_storage_check():
    for env in ({}, S3_ENV):
        result = manage("check", **env)
        assert result.returncode == 0, result.stderr  # tryon.E013 would fail it
