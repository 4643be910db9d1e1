"""Bulk generation: selecting garments, planning (pairs, skips, costs), creating, following."""

from __future__ import annotations

from typing import ClassVar

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from django_tryon import imaging
from django_tryon.models import Garment, ModelPhoto, Source, Status, TryOnBatch, TryOnJob
from django_tryon.providers.sandbox import SandboxProvider
from django_tryon.services import (
    batch_progress,
    batch_results,
    check_selection,
    create_batch,
    download_results,
    generate,
    plan_generation,
    request_tryon,
    select_garments,
    suitable_model_photos,
    wait_for_batch,
)
from django_tryon.services.generation import plans as generation_module
from django_tryon.services.generation.status import BAR_SEGMENTS, batch_status, progress_bars
from tests.admin.support import TWO_PROVIDERS, add_garment, add_photo, pause
from tests.fixtures import make_image
from tests.shop.models import Product

pytestmark = pytest.mark.django_db


class UpperBodyOnly(SandboxProvider):
    categories: ClassVar = frozenset({"upper_body"})


class ImagesOnly(SandboxProvider):
    supports_prompt = False


PROVIDERS = {
    **TWO_PROVIDERS,
    "PROVIDERS": {
        **TWO_PROVIDERS["PROVIDERS"],
        "uppers": {"BACKEND": "tests.services.test_generation.UpperBodyOnly", "COST": 5},
        "images": {"BACKEND": "tests.services.test_generation.ImagesOnly"},
    },
}


@pytest.fixture(autouse=True)
def _in_english():
    """Messages are checked word for word: in English, whatever an earlier test activated."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _providers(settings):
    settings.TRYON = PROVIDERS


@pytest.fixture
def catalogue():
    """Three products: a shirt, trousers, and one without a garment; two model photos."""
    shirt, trousers, bare = (
        Product.objects.create(name=n) for n in ("Shirt", "Trousers", "Voucher")
    )
    garments = [
        add_garment(shirt, colour=0),
        add_garment(trousers, category="lower_body", colour=1),
    ]
    photos = [add_photo("Alex", colour=2), add_photo("Sam", "upper_body", colour=3)]
    return {"products": [shirt, trousers, bare], "garments": garments, "photos": photos}


def count_queries(func):
    with CaptureQueriesContext(connection) as captured:
        result = func()
    return result, len(captured)


# Selecting ----------------------------------------------------------------------------------


def test_select_garments_of_products(catalogue):
    selection = select_garments(Product.objects.all())
    assert selection.garments == catalogue["garments"]
    assert (selection.products, selection.products_without_garments) == (3, 1)
    assert selection.categories == ["upper_body", "lower_body"]


def test_select_garments_leaves_inactive_ones_out(catalogue):
    shirt = catalogue["garments"][0]
    Garment.objects.filter(pk=shirt.pk).update(is_active=False)
    assert select_garments(Product.objects.all()).garments == catalogue["garments"][1:]
    selection = select_garments(Garment.objects.all())
    assert selection.garments == catalogue["garments"][1:] and selection.inactive_garments == 1


def test_select_garments_takes_two_queries_whatever_the_size(catalogue):
    _, small = count_queries(lambda: select_garments(Product.objects.filter(name="Shirt")))
    for i in range(20):
        add_garment(Product.objects.create(name=f"P{i}"), colour=10 + i)
    selection, large = count_queries(lambda: select_garments(Product.objects.all()))
    assert len(selection.garments) == 22
    assert small == large == 2


def test_suitable_model_photos(catalogue):
    kim = add_photo("Kim", "lower_body", colour=4)
    add_photo("Retired", is_active=False, colour=5)
    assert set(suitable_model_photos(["upper_body"])) == set(catalogue["photos"])
    assert set(suitable_model_photos(["lower_body"])) == {catalogue["photos"][0], kim}
    assert not suitable_model_photos([]).exists()


def test_check_selection_explains_empty_selections(catalogue):
    with pytest.raises(ValidationError) as no_garments:
        check_selection(
            select_garments(Product.objects.filter(name="Voucher")), ModelPhoto.objects.all()
        )
    assert no_garments.value.code == "no_garments"
    assert "The selected product has no active garment" in no_garments.value.messages[0]
    dress = add_garment(catalogue["products"][2], category="full_body", colour=5)
    with pytest.raises(ValidationError) as no_photos:
        check_selection(
            select_garments(Garment.objects.filter(pk=dress.pk)),
            suitable_model_photos(["full_body"]).none(),
        )
    assert no_photos.value.code == "no_model_photos"
    assert "(full body)" in no_photos.value.messages[0]


# Planning -----------------------------------------------------------------------------------


def test_plan_pairs_each_garment_with_each_suiting_photo(catalogue):
    plan = plan_generation(catalogue["garments"], catalogue["photos"])
    sandbox = plan.alias("sandbox")
    pairs = {(j.garment.category, j.model_photo.name) for j in sandbox.jobs}
    assert pairs == {("upper_body", "Alex"), ("upper_body", "Sam"), ("lower_body", "Alex")}
    assert sandbox.credits == 3 and plan.alias("premium").credits == 75
    assert plan.alias(None) is sandbox  # the default provider
    assert plan.unmatched == [] and plan.refused == []


def test_plan_per_provider_knows_what_it_cannot_do(catalogue):
    plan = plan_generation(catalogue["garments"], catalogue["photos"])
    uppers = plan.alias("uppers")
    assert [r.obj for r in uppers.unsupported] == [catalogue["garments"][1]]
    assert "not supported" in uppers.unsupported[0].message
    assert len(uppers.jobs) == 2 and uppers.credits == 10


def test_prompt_only_garments(catalogue):
    described = Garment.objects.create(
        product=catalogue["products"][2], name="Knit", category="upper_body", prompt="a red knit"
    )
    plan = plan_generation([described], catalogue["photos"])
    assert len(plan.alias("sandbox").jobs) == 2  # the sandbox takes prompts
    assert (
        plan.alias("images").unsupported[0].message
        == "This service needs a picture of the garment."
    )


def test_unmatched_garments_and_unknown_aliases(catalogue):
    plan = plan_generation(catalogue["garments"], catalogue["photos"][1:])  # Sam: upper body only
    assert plan.unmatched == [catalogue["garments"][1]]
    with pytest.raises(ValidationError) as unknown:
        plan_generation(catalogue["garments"], catalogue["photos"], aliases=["nosuch"])
    assert unknown.value.code == "unknown_provider"
    with pytest.raises(ValidationError):
        plan_generation(catalogue["garments"], catalogue["photos"], aliases=["sandbox"]).alias(
            "nosuch"
        )


def test_bad_stored_images_are_refused_not_fatal(catalogue):
    broken = add_photo("Broken", colour=5)
    storages["default"].delete(broken.image.name)
    storages["default"].save(broken.image.name, ContentFile(b"this is not a picture"))
    missing = add_photo("Missing", colour=4)
    storages["default"].delete(missing.image.name)
    # Fresh rows, as a plan gets them: an instance that saved a file keeps its content open.
    broken, missing = ModelPhoto.objects.get(pk=broken.pk), ModelPhoto.objects.get(pk=missing.pk)
    plan = plan_generation(catalogue["garments"], [*catalogue["photos"], broken, missing])
    refused = {r.obj.name: r.message for r in plan.refused}
    assert refused == {
        "Broken": "This file is not a picture. Please use a JPEG, PNG or WebP photo.",
        "Missing": "Its image can't be read from storage.",
    }
    assert len(plan.alias("sandbox").jobs) == 3


def test_each_image_is_read_once_and_its_digest_kept(catalogue, monkeypatch):
    reads = []
    original = imaging.validate_image
    monkeypatch.setattr(
        generation_module, "validate_image", lambda f: reads.append(1) or original(f)
    )
    plan_generation(catalogue["garments"], catalogue["photos"])
    assert len(reads) == 2  # the 2 photos, for 3 pairs and 4 aliases: garments kept theirs
    plan_generation(catalogue["garments"], catalogue["photos"])
    assert len(reads) == 2  # the digests are stored on the rows now
    assert all(g.image_digest for g in Garment.objects.all())


def test_plan_queries_do_not_grow_with_the_catalogue(catalogue):
    photos = catalogue["photos"]
    plan_generation(catalogue["garments"], photos)  # digests stored
    _, small = count_queries(lambda: plan_generation(catalogue["garments"], photos))
    many = [add_garment(Product.objects.create(name=f"P{i}"), colour=10 + i) for i in range(30)]
    plan_generation(many, photos)
    plan, large = count_queries(lambda: plan_generation([*catalogue["garments"], *many], photos))
    assert len(plan.alias("sandbox").jobs) == 63
    assert small == large == 2  # paused aliases, existing fingerprints


def test_identical_jobs_are_found_both_ways(catalogue, drive):
    shirt, _ = catalogue["garments"]
    alex = catalogue["photos"][0]
    earlier = request_tryon(shirt, alex, provider="sandbox")
    plan = plan_generation([shirt], [alex])
    skipped = plan.alias("sandbox").skipped
    assert [(s.existing_id, s.existing_status) for s in skipped] == [(earlier.pk, Status.PENDING)]
    assert plan.alias("sandbox").skipped_in_progress == 1
    drive()
    assert plan_generation([shirt], [alex]).alias("sandbox").skipped_existing == 1

    # ...and a later request_tryon reuses what a batch made, for free.
    sam = catalogue["photos"][1]
    generate([shirt], [sam], "sandbox")
    drive()
    again = request_tryon(shirt, sam, provider="sandbox")
    assert again.reused_from is not None and again.credits_charged == 0


def test_failed_or_canceled_earlier_jobs_do_not_count_as_existing(catalogue, drive):
    shirt, _ = catalogue["garments"]
    job = request_tryon(shirt, catalogue["photos"][0], provider="sandbox")
    TryOnJob.objects.filter(pk=job.pk).update(status=Status.FAILED)
    assert len(plan_generation([shirt], catalogue["photos"][:1]).alias("sandbox").jobs) == 1


# Creating ----------------------------------------------------------------------------------------


def test_create_batch_writes_due_jobs_and_wakes_the_pipeline_once(
    catalogue, django_capture_on_commit_callbacks, admin_user
):
    from django_tryon.testing.queue import queued_functions

    plan = plan_generation(catalogue["garments"], catalogue["photos"], aliases=["premium"])
    with django_capture_on_commit_callbacks(execute=True):
        batch = create_batch(plan, "premium", user=admin_user, source=Source.COMMAND)
    rows = list(TryOnJob.objects.filter(batch=batch))
    assert len(rows) == 3
    for row in rows:
        assert row.provider == "premium" and row.source == Source.COMMAND
        assert row.estimated_credits == 25 and row.status == Status.PENDING
        assert row.next_check_at is not None and row.deadline_at is None  # runs from submission
        assert row.fingerprint and row.token
    assert batch.created_by == admin_user
    assert queued_functions() == ["django_tryon.tasks.drain"]  # one message, as for one job


def test_create_batch_query_count_is_the_same_for_more_jobs(catalogue):
    photos = catalogue["photos"]
    first_plan = plan_generation(catalogue["garments"][1:2], photos[:1], aliases=["sandbox"])
    create_batch(first_plan, "sandbox")  # the day's first: it makes the day's budget row
    small_plan = plan_generation(catalogue["garments"][:1], photos[:1], aliases=["sandbox"])
    _, small = count_queries(lambda: create_batch(small_plan, "sandbox"))
    many = [add_garment(Product.objects.create(name=f"P{i}"), colour=10 + i) for i in range(10)]
    large_plan = plan_generation(many, photos, aliases=["sandbox"])
    assert len(large_plan.alias("sandbox").jobs) == 20
    _, large = count_queries(lambda: create_batch(large_plan, "sandbox"))
    assert small == large


def test_create_batch_refusals(catalogue, drive):
    plan = plan_generation(catalogue["garments"], catalogue["photos"])
    pause("premium", "The try-on account has run out of credits.")
    paused_plan = plan_generation(catalogue["garments"], catalogue["photos"])
    with pytest.raises(ValidationError) as paused:
        create_batch(paused_plan, "premium")
    assert paused.value.code == "provider_paused"
    assert "is paused: The try-on account has run out of credits." in paused.value.messages[0]

    create_batch(plan, "uppers")  # the plan was made before the pause: "uppers" is fine
    drive()
    done = plan_generation(catalogue["garments"], catalogue["photos"], aliases=["uppers"])
    with pytest.raises(ValidationError) as nothing:
        create_batch(done, "uppers")
    assert nothing.value.code == "nothing_to_generate"
    assert "already exist" in nothing.value.messages[0]
    assert TryOnBatch.objects.count() == 1


def test_over_budget_creates_nothing(catalogue, settings):
    settings.TRYON = {**PROVIDERS, "DAILY_CREDIT_BUDGET": 50}
    plan = plan_generation(catalogue["garments"], catalogue["photos"], aliases=["premium"])
    with pytest.raises(ValidationError) as budget:
        create_batch(plan, "premium")  # 75 credits
    assert budget.value.code == "budget_exceeded"
    assert not TryOnJob.objects.exists() and not TryOnBatch.objects.exists()


def test_nothing_to_generate_explains_why(catalogue):
    trousers = catalogue["garments"][1]
    plan = plan_generation([trousers], catalogue["photos"], aliases=["uppers"])
    with pytest.raises(ValidationError) as error:
        create_batch(plan, "uppers")
    assert "can't do these garments" in error.value.messages[0]


# Following a batch ---------------------------------------------------------------------------------


def test_progress_wait_results_and_download(catalogue, drive, tmp_path):
    batch, _ = generate(catalogue["garments"], catalogue["photos"], "sandbox")
    progress = batch_progress(batch)
    assert (progress.total, progress.pending, progress.finished) == (3, 3, False)
    assert progress.expected_credits == 3 and progress.percent == 0

    drive()
    seen = []
    progress = wait_for_batch(batch, on_progress=seen.append, interval=0.01)
    assert progress.finished and progress.succeeded == 3 and progress.credits == 3
    assert seen == [progress]

    results = list(batch_results(batch))
    assert len(results) == 3
    written = download_results(results, tmp_path / "out")
    assert len(written) == 3
    for path, job in zip(written, results, strict=True):
        assert path.name.startswith(f"{job.pk}-")
        with job.result.open("rb") as stored:
            assert path.read_bytes() == stored.read()


def test_the_status_document_the_batch_pages_poll(catalogue, drive):
    batch, _ = generate(catalogue["garments"], catalogue["photos"], "sandbox")
    asked = []

    def result_url(job):  # each page serves results its own way, under its own checks
        asked.append(job.pk)
        return f"/results/{job.pk}"

    document = batch_status(batch, result_url)
    assert document["batch"] == batch.pk
    assert document["progress"] == batch_progress(batch).as_dict()
    assert [job["status"] for job in document["jobs"]] == [Status.PENDING] * 3
    assert asked == [], "no result URL for an unfinished job"
    assert progress_bars(batch_progress(batch)) == [(key, 0.0, 0.0) for key in BAR_SEGMENTS]

    drive()
    wait_for_batch(batch, interval=0.01)
    document = batch_status(batch, result_url)
    assert [job["result"] for job in document["jobs"]] == [f"/results/{pk}" for pk in asked]
    assert len(asked) == 3 and document["progress"]["finished"] is True
    assert progress_bars(batch_progress(batch))[0] == ("succeeded", 0.0, 100.0)


def test_wait_gives_up_after_the_timeout(catalogue):
    batch, _ = generate(catalogue["garments"][:1], catalogue["photos"][:1], "sandbox")
    progress = wait_for_batch(batch, timeout=0.05, interval=0.01)
    assert not progress.finished and progress.pending == 1


def test_results_include_the_skipped_identical_ones(catalogue, drive):
    shirt = catalogue["garments"][0]
    earlier = request_tryon(shirt, catalogue["photos"][0], provider="sandbox")
    drive()
    plan = plan_generation([shirt], catalogue["photos"], aliases=["sandbox"])
    batch = create_batch(plan, "sandbox")
    drive()
    skipped = [s.existing_id for s in plan.alias("sandbox").skipped]
    assert {j.pk for j in batch_results(batch, also=skipped)} == {
        earlier.pk,
        *TryOnJob.objects.filter(batch=batch).values_list("pk", flat=True),
    }


def test_photos_checked_by_content_at_plan_time(catalogue):
    png = add_photo("Png", colour=1)
    png.image.save("p.png", ContentFile(make_image((300, 400), "PNG")), save=True)
    plan = plan_generation(catalogue["garments"][:1], [png])
    assert len(plan.alias("sandbox").jobs) == 1


def test_expected_credits_count_only_what_is_not_charged_yet(catalogue):
    batch, _ = generate(catalogue["garments"], catalogue["photos"], "sandbox")
    first, second, third = TryOnJob.objects.filter(batch=batch).order_by("pk")
    # Accepted by the provider and charged, still running: its estimate is already spent.
    TryOnJob.objects.filter(pk=first.pk).update(status=Status.RUNNING, credits_charged=1)
    # Finished: charged, nothing more to come.
    TryOnJob.objects.filter(pk=second.pk).update(status=Status.SUCCEEDED, credits_charged=1)

    progress = batch_progress(batch)
    assert progress.credits == 2
    assert progress.expected_credits == third.estimated_credits == 1
