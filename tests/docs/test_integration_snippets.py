""" "Add to an existing shop", followed literally: a fresh project built from its snippets.

The test plays a developer with an existing shop: ``django-admin startproject`` plus a
``catalog`` app with a product model of its own (written here; not ours to document).
Then it does exactly what the page says, with the page's own code blocks
(named ``integration/...``): appends the settings snippets to ``settings.py``, uses the
``urls.py``, the product template (and the product admin, when the page has one), runs
the page's shell commands (``migrate``, ``check``, ``qcluster``, ``tryon_check``), and
finally acts as a shopper: opens the product page, posts a photo through the widget's
API and waits for the real ``qcluster`` to finish the try-on on the sandbox provider.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.docs.support import (
    ROOT,
    clean_env,
    read_snippet,
    shell_commands,
    snippet,
)

pytestmark = pytest.mark.cluster

# The settings snippets, in the order the page adds them to settings.py.
SETTINGS_SNIPPETS = [
    "integration/settings_apps.py",
    "integration/settings_tryon.py",
    "integration/settings_storages.py",
    "integration/settings_q_cluster.py",
    "integration/settings_sqlite.py",
]

# The shop that exists before django-tryon arrives: a product model, a view, a URL.
CATALOG_MODELS = """
from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)

    def __str__(self):
        return self.name
"""
CATALOG_VIEWS = """
from django.shortcuts import get_object_or_404, render

from .models import Product


def product_detail(request, slug):
    product = get_object_or_404(Product, slug=slug)
    return render(request, "catalog/product_detail.html", {"product": product})
"""
CATALOG_URLS = """
from django.urls import path

from . import views

urlpatterns = [path("products/<slug:slug>/", views.product_detail, name="product")]
"""

# The shopper and the merchant, played against the running project.
DRIVER = r"""
import io, json, re, sys, time
import django

django.setup()
from django.core.files.base import ContentFile
from django.test import Client
from django.test.utils import setup_test_environment
from PIL import Image

from catalog.models import Product
from django_tryon.models import Garment

setup_test_environment()
photo = open(sys.argv[1], "rb").read()
product = Product.objects.create(name="Linen shirt", slug="linen-shirt")

# The merchant attaches a garment image to the product (in the admin, normally).
shirt = Image.new("RGB", (400, 400), "white")
shirt.paste((200, 40, 40), (80, 80, 320, 320))
buffer = io.BytesIO()
shirt.save(buffer, "PNG")
garment = Garment(product=product, name="Linen shirt", category="upper_body")
garment.image.save("shirt.png", ContentFile(buffer.getvalue()))

shopper = Client(enforce_csrf_checks=True)
page = shopper.get("/products/linen-shirt/")
html = page.content.decode()
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
report = {"page_status": page.status_code, "widget": "data-tryon-widget" in html,
          "assets": "django_tryon/tryon.js" in html}

created = shopper.post(
    "/tryon/jobs/",
    {"garment": garment.pk, "consent": "1", "photo": ContentFile(photo, name="me.jpg"),
     "csrfmiddlewaretoken": token},
)
report["create_status"] = created.status_code
job = created.json()
deadline = time.monotonic() + 90
while job.get("status") in ("pending", "running") and time.monotonic() < deadline:
    time.sleep(0.5)
    job = shopper.get(job["url"]).json()
report["job"] = job
if job.get("result_url"):
    result = shopper.get(job["result_url"])
    body = b"".join(result.streaming_content) if result.streaming else result.content
    report["result_status"] = result.status_code
    report["result_type"] = result.headers.get("Content-Type")
    report["result_bytes"] = len(body)
# The merchant's side: the product admin has the garments inline and the action.
from pathlib import Path
if Path("catalog/admin.py").read_text().count("TryOnProductAdminMixin"):
    from django.contrib.auth.models import User
    from django_tryon.models import ModelPhoto

    merchant = Client()
    merchant.force_login(User.objects.create_superuser("merchant", "m@example.com", "x"))
    listing = merchant.get("/admin/catalog/product/").content.decode()
    report["admin_action"] = 'value="generate_tryons"' in listing
    report["admin_column"] = "try-ons" in listing.lower()
    change = merchant.get(f"/admin/catalog/product/{product.pk}/change/").content.decode()
    report["admin_inline"] = "try-on garments" in change.lower()
    model = ModelPhoto(name="Model", categories="upper_body")
    model.image.save("model.jpg", ContentFile(photo))
    confirm = merchant.post("/admin/catalog/product/", {"action": "generate_tryons", "_selected_action": [product.pk]})
    report["admin_confirm"] = confirm.status_code
    report["admin_confirm_title"] = "Generate try-ons" in confirm.content.decode()
# Another session may not see it.
report["stranger_status"] = Client().get(job["url"]).status_code
print("REPORT " + json.dumps(report))
"""


def run(command: str | list[str], cwd: Path, env: dict[str, str], timeout: float = 120) -> str:
    args = shlex.split(command) if isinstance(command, str) else command
    if args[0] == "python":
        args[0] = sys.executable
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(args)} failed ({done.returncode}):\n{output[-4000:]}"
    return output


def build_shop(project: Path, env: dict[str, str]) -> None:
    """The existing shop, then the page's steps in order."""
    run([sys.executable, "-m", "django", "startproject", "shop", str(project)], project, env)
    run("python manage.py startapp catalog", project, env)
    catalog = project / "catalog"
    (catalog / "models.py").write_text(CATALOG_MODELS)
    (catalog / "views.py").write_text(CATALOG_VIEWS)
    (catalog / "urls.py").write_text(CATALOG_URLS)
    settings = project / "shop" / "settings.py"
    text = settings.read_text() + '\nINSTALLED_APPS += ["catalog"]\n'

    # Settings: each snippet appended as the page shows it.
    for name in SETTINGS_SNIPPETS:
        text += "\n" + read_snippet(name)
    settings.write_text(text)
    # URLs, template, product admin: the page's files as they are.
    (project / "shop" / "urls.py").write_text(read_snippet("integration/urls.py"))
    template = catalog / "templates" / "catalog" / "product_detail.html"
    template.parent.mkdir(parents=True)
    template.write_text(read_snippet("integration/templates/catalog/product_detail.html"))
    admin = snippet("integration/admin.py")
    if admin.exists():
        (catalog / "admin.py").write_text(read_snippet("integration/admin.py"))
    run("python manage.py makemigrations catalog", project, env)


def start_cluster(project: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    (command,) = shell_commands("integration/qcluster.sh")
    args = shlex.split(command)
    args[0] = sys.executable
    handle = log.open("wb")
    process = subprocess.Popen(
        args, cwd=project, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 30
    while "running." not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"qcluster did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    return process


def stop_cluster(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # the main process stops its workers in order
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):  # whatever is left of the group
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=5)


def test_the_integration_page_builds_a_working_shop(tmp_path):
    from tests.docs.support import person_photo

    project = tmp_path / "myshop"
    project.mkdir()
    env = clean_env()
    build_shop(project, env)

    for command in shell_commands("integration/migrate.sh"):
        output = run(command, project, env)
        if command.endswith(" check"):
            assert "System check identified no issues" in output, output

    cluster = start_cluster(project, env, tmp_path / "qcluster.log")
    try:
        for command in shell_commands("operations/tryon_check.sh"):
            output = run(command, project, env)
            assert "checks passed" in output, output

        photo = tmp_path / "me.jpg"
        photo.write_bytes(person_photo())
        output = run(
            [sys.executable, "-c", DRIVER, str(photo)],
            project,
            {**env, "DJANGO_SETTINGS_MODULE": "shop.settings", "PYTHONPATH": str(project)},
        )
    finally:
        stop_cluster(cluster)

    report = json.loads(output.split("REPORT ", 1)[1].splitlines()[0])
    assert report["page_status"] == 200
    assert report["widget"] and report["assets"], "the product page shows no widget"
    assert report["create_status"] == 201, report
    assert report["job"]["status"] == "succeeded", report
    assert report["result_status"] == 200 and report["result_type"] == "image/jpeg", report
    assert report["result_bytes"] > 1000
    assert report["stranger_status"] == 404
    if snippet("integration/admin.py").exists():
        assert report["admin_action"] and report["admin_column"], report
        assert report["admin_inline"], report
        assert report["admin_confirm"] == 200 and report["admin_confirm_title"], report
    # The shopper's files are in the private storage folder, not under MEDIA_ROOT.
    private = {p.parent.parent.parent.name for p in (project / "tryon-private").rglob("*.jpg")}
    assert private == {"people", "results"}, "the shopper's files are not in the private storage"
    public = [p for p in (project / "media").rglob("*") if p.is_file()]
    assert public and all(p.parent.parent.parent.name in ("garments", "models") for p in public)


@pytest.mark.parametrize("block", ["integration/install.sh", "quickstart/install.sh"])
def test_install_snippet_names_this_distribution_and_its_extras(block):
    import tomllib

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = set(meta["optional-dependencies"])
    commands = shell_commands(block)
    assert f"python -m pip install {meta['name']}" in commands, "the plain install is shown"
    for command in commands:
        assert command.startswith("python -m pip install ")
        target = shlex.split(command)[-1]
        name, _, rest = target.partition("[")
        assert name.rstrip("/").endswith(meta["name"]), target
        wanted = set(rest.rstrip("]").split(",")) - {""}
        assert wanted <= extras, f"unknown extras {wanted - extras}"
