"""``manage.py tryon_generate --outfit``: several garments worn together on model photos."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from django_tryon.models import Status, TryOnBatch, TryOnJob
from tests.admin.support import TWO_PROVIDERS, add_garment, add_photo
from tests.shop.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def outfit(settings):
    settings.TRYON = {
        **TWO_PROVIDERS,
        "PROVIDERS": {
            **TWO_PROVIDERS["PROVIDERS"],
            "single": {
                "BACKEND": "django_tryon.providers.sandbox.SandboxProvider",
                "LATENCY": 0,
                "MAX_GARMENTS": 1,
                "COST": 3,
            },
        },
    }
    shirt, skirt = (Product.objects.create(name=n) for n in ("Shirt", "Skirt"))
    garments = [add_garment(shirt, colour=0), add_garment(skirt, category="lower_body", colour=1)]
    photos = [add_photo("Alex", colour=2), add_photo("Sam", "upper_body", colour=3)]
    return SimpleNamespace(garments=garments, photos=photos)


def run(*args):
    out = io.StringIO()
    call_command("tryon_generate", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def ids(objects):
    return [str(o.pk) for o in objects]


def test_a_dry_run_prices_the_outfit_as_the_calls_it_takes(outfit):
    output = run(
        "--garments", *ids(outfit.garments), "--outfit", "--provider", "single", "--dry-run"
    )
    assert "Outfit of 2 garment(s)" in output
    assert "2 call(s) per picture, 6 credit(s) per picture." in output
    assert "  new   outfit × Alex" in output
    assert "Sam doesn't suit every garment's category" in output
    assert "Estimated cost: 6 credits." in output
    assert not TryOnJob.objects.exists()


def test_an_outfit_is_one_job_per_suitable_model_photo(outfit, drive):
    output = run("--garments", *ids(outfit.garments), "--outfit")
    assert "1 call(s) per picture, 1 credit(s) per picture." in output  # the sandbox: one call
    batch = TryOnBatch.objects.get()
    [job] = TryOnJob.objects.filter(batch=batch)
    assert job.model_photo == outfit.photos[0] and job.outfit_garments() == outfit.garments
    drive()
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED and job.result


def test_a_chained_outfit_waits_and_succeeds(outfit, monkeypatch):
    from django_tryon.services.generation import batches as generation
    from django_tryon.testing.queue import drive_pipeline

    clock = SimpleNamespace(
        monotonic=generation.time.monotonic, sleep=lambda s: drive_pipeline(timeout=5)
    )
    monkeypatch.setattr(generation, "time", clock)
    output = run("--garments", *ids(outfit.garments), "--outfit", "--provider", "single", "--wait")
    assert "1 succeeded, 0 failed" in output and "6 credits spent" in output


def test_two_garments_of_one_category_are_refused(outfit):
    shirt = outfit.garments[0]
    other = add_garment(Product.objects.create(name="Polo"), colour=4)
    with pytest.raises(CommandError, match="one garment of each kind"):
        run("--garments", str(shirt.pk), str(other.pk), "--outfit")
    assert not TryOnJob.objects.exists()
