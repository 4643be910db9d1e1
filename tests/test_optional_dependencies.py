"""django-storages is optional: only the ``s3`` extra installs it, and only S3 imports it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Imports every module of the app, runs the system checks and a try-on through the
# sandbox on local files, with ``storages`` made impossible to import.
WITHOUT_STORAGES = textwrap.dedent(
    """
    import importlib, pkgutil, sys

    class NoStorages:
        def find_spec(self, name, path=None, target=None):
            if name == "storages" or name.startswith("storages."):
                raise ImportError("django-storages is not installed")

    sys.meta_path.insert(0, NoStorages())
    import django
    django.setup()
    import django_tryon
    for module in pkgutil.walk_packages(django_tryon.__path__, "django_tryon."):
        if ".migrations." in module.name or module.name.endswith("__main__"):
            continue
        if module.name.startswith("django_tryon.contrib.oscar"):
            continue  # needs Oscar's apps installed: its own suite, tests/oscar_project

        importlib.import_module(module.name)
    from django.core.management import call_command
    call_command("check", "--fail-level", "ERROR", verbosity=0)
    assert "storages" not in sys.modules
    print("ok")
    """
)


def test_the_app_imports_and_checks_clean_without_django_storages(tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    env.pop("DATABASE_URL", None)  # the check needs no database of its own
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_STORAGES],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")


def test_django_storages_is_a_dependency_of_the_s3_extra_only():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not [d for d in project["dependencies"] if d.startswith("django-storages")]
    assert any(d.startswith("django-storages[s3]") for d in project["optional-dependencies"]["s3"])
