"""``manage.py tryon_generate``: selection, dry run, progress, waiting, downloads, exit codes."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from django_tryon.models import Garment, Source, Status, TryOnBatch, TryOnJob
from django_tryon.services import request_tryon
from django_tryon.services.generation import batches as generation
from django_tryon.testing.queue import drive_pipeline
from tests.admin.support import TWO_PROVIDERS, add_garment, add_photo, pause
from tests.shop.models import Product

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _in_english():
    """Messages are checked word for word: in English, whatever an earlier test activated."""
    with translation.override("en"):
        yield


@pytest.fixture
def catalogue(settings):
    settings.TRYON = TWO_PROVIDERS
    shirt, skirt, bare = (Product.objects.create(name=n) for n in ("Shirt", "Skirt", "Voucher"))
    garments = [add_garment(shirt, colour=0), add_garment(skirt, category="lower_body", colour=1)]
    photos = [add_photo("Alex", colour=2), add_photo("Sam", "upper_body", colour=3)]
    return SimpleNamespace(products=[shirt, skirt, bare], garments=garments, photos=photos)


@pytest.fixture
def pipeline_while_waiting(monkeypatch):
    """``--wait`` in this process: each pause of its loop runs the pipeline instead."""
    clock = SimpleNamespace(
        monotonic=generation.time.monotonic, sleep=lambda s: drive_pipeline(timeout=5)
    )
    monkeypatch.setattr(generation, "time", clock)


def run(*args):
    out = io.StringIO()
    call_command("tryon_generate", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_dry_run_prints_jobs_skips_and_cost(catalogue, drive):
    earlier = request_tryon(catalogue.garments[0], catalogue.photos[0], provider="premium")
    drive()
    output = run("--all", "--provider", "premium", "--dry-run")
    assert (
        "2 garment(s) × 2 model photo(s), with Sandbox (offline preview) (premium, 25 credit(s) per try-on)."
        in output
    )
    assert "  new   Shirt garment × Sam" in output
    assert "  new   Skirt garment × Alex" in output
    assert f"  skip  Shirt garment × Alex: identical try-on #{earlier.pk} exists" in output
    assert "2 new try-on(s), 1 skipped" in output
    assert "Estimated cost: 50 credits." in output
    assert "Dry run: nothing was created." in output
    assert TryOnJob.objects.count() == 1 and not TryOnBatch.objects.exists()


def test_selection_by_products_garments_and_photos(catalogue):
    shirt = catalogue.products[0]
    output = run("--products", str(shirt.pk), "--dry-run")
    assert "1 garment(s) × 2 model photo(s)" in output and "2 new try-on(s)" in output
    output = run(
        "--garments",
        str(catalogue.garments[1].pk),
        "--model-photos",
        str(catalogue.photos[0].pk),
        "--dry-run",
    )
    assert "1 new try-on(s)" in output
    output = run("--products", str(shirt.pk), "--product-model", "shop.product", "--dry-run")
    assert "2 new try-on(s)" in output


def test_creating_a_batch_without_waiting(catalogue):
    output = run("--all")
    batch = TryOnBatch.objects.get()
    assert f"Created batch #{batch.pk}: 3 try-on(s) with sandbox, about 3 credits." in output
    assert f"/admin/django_tryon/tryonjob/batch/{batch.pk}/" in output
    assert {j.source for j in TryOnJob.objects.all()} == {Source.COMMAND}


def test_wait_shows_progress_and_sums_up(catalogue, pipeline_while_waiting):
    output = run("--all", "--wait", "--interval", "0")
    assert "[" in output and "3/3 done" in output
    batch = TryOnBatch.objects.get()
    assert (
        f"Batch #{batch.pk}: 3 succeeded, 0 failed, 0 canceled, 0 still active; 3 credits spent."
        in output
    )
    assert {j.status for j in TryOnJob.objects.all()} == {Status.SUCCEEDED}


def test_download_dir_writes_new_and_existing_results(
    catalogue, pipeline_while_waiting, drive, tmp_path
):
    earlier = request_tryon(catalogue.garments[0], catalogue.photos[0], provider="sandbox")
    drive()
    target = tmp_path / "tryons"
    output = run("--all", "--download-dir", str(target), "--interval", "0")
    files = sorted(p.name for p in target.iterdir())
    assert len(files) == 3  # two new, one that existed already
    assert any(name.startswith(f"{earlier.pk}-shirt-garment-alex") for name in files)
    assert f"Wrote 3 result file(s) to {target}." in output

    # Everything exists now: nothing to create, the files are written all the same.
    again = tmp_path / "again"
    output = run("--all", "--download-dir", str(again))
    assert "already exist" in output and len(list(again.iterdir())) == 3


def test_a_failed_job_makes_the_exit_code_non_zero(catalogue, pipeline_while_waiting):
    Garment.objects.filter(pk=catalogue.garments[1].pk).update(description="[sandbox:no_person]")
    with pytest.raises(CommandError) as failed:
        run("--all", "--wait", "--interval", "0")
    assert str(failed.value) == "1 of 3 try-ons failed."
    assert failed.value.returncode == 1


def test_timeout_while_waiting(catalogue):
    with pytest.raises(CommandError, match=r"Stopped waiting after 0\.05 s with 3 try-on"):
        run("--all", "--wait", "--timeout", "0.05", "--interval", "0.01")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--products", "999"], "No product with id 999."),
        (["--garments", "999"], "No garment with id 999."),
        (["--products", "1", "--product-model", "nope.nope"], "Unknown product model 'nope.nope'"),
        (["--all", "--model-photos", "999"], "No model photo with id 999."),
        (["--all", "--provider", "nosuch"], "Unknown try-on provider 'nosuch'."),
    ],
)
def test_bad_selections_are_refused(catalogue, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(".", r"\.")):
        run(*args)
    assert not TryOnJob.objects.exists()


def test_inactive_photos_and_products_without_garments(catalogue):
    alex, sam = catalogue.photos
    sam.is_active = False
    sam.save()
    with pytest.raises(CommandError, match=f"Model photo {sam.pk} is inactive"):
        run("--all", "--model-photos", str(alex.pk), str(sam.pk))
    with pytest.raises(CommandError, match="The selected product has no active garment"):
        run("--products", str(catalogue.products[2].pk))


def test_a_paused_alias_is_refused_with_the_reason(catalogue):
    pause("premium", "The try-on account has run out of credits.")
    with pytest.raises(CommandError, match="is paused: The try-on account has run out of credits"):
        run("--all", "--provider", "premium")
    output = run("--all", "--provider", "premium", "--dry-run")
    assert "premium is paused" in output
    assert not TryOnJob.objects.exists()


def test_several_product_models_need_naming(catalogue):
    from catalog.models import Product as CatalogProduct

    add_garment(CatalogProduct.objects.create(name="Tee", slug="tee", price=5), colour=4)
    with pytest.raises(CommandError, match="Garments belong to 2 product models"):
        run("--products", str(catalogue.products[0].pk))
    assert "1 garment(s)" in run(
        "--products", str(catalogue.products[0].pk), "--product-model", "shop.Product", "--dry-run"
    )


@pytest.mark.cluster
def test_against_a_real_cluster_from_the_shell(qcluster, settings, tmp_path):
    """The command as a merchant runs it: its own process, a qcluster doing the work."""
    settings.TRYON = {**settings.TRYON, **TWO_PROVIDERS}
    qcluster(tryon=TWO_PROVIDERS)
    shirt = Product.objects.create(name="Shirt")
    add_garment(shirt, colour=0)
    add_photo("Alex", colour=2)
    broken = add_garment(
        Product.objects.create(name="Broken"), colour=1, description="[sandbox:no_person]"
    )

    env = {**qcluster_env(settings), "PYTHONUNBUFFERED": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "tryon_generate",
            "--all",
            "--wait",
            "--interval",
            "0.2",
            "--timeout",
            "60",
            "--download-dir",
            str(tmp_path / "out"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "1 of 2 try-ons failed." in done.stderr
    assert "1 succeeded, 1 failed" in done.stdout
    assert "× Alex: We couldn't find a person" in done.stdout.replace("’", "'")
    assert len(list((tmp_path / "out").iterdir())) == 1
    assert TryOnJob.objects.get(garment=broken).status == Status.FAILED


def qcluster_env(settings):
    """What the ``qcluster`` fixture gives its subprocesses: same database, queue, storage."""
    import json
    import os

    from django.db import connection
    from django_q.conf import Conf

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "TRYON_DB_NAME": str(connection.settings_dict["NAME"]),
        "TRYON_Q_NAME": Conf.CLUSTER_NAME,
        "TRYON_DEFAULT_STORAGE": json.dumps(settings.STORAGES["default"]),
        "TRYON_PRIVATE_STORAGE": json.dumps(settings.STORAGES["tryon_private"]),
        "TRYON_OVERRIDES": json.dumps(TWO_PROVIDERS),
    }
