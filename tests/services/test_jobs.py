"""request_tryon: inputs checked by content, reuse for free, budgets, waiting, async."""

import asyncio
import hashlib
import io
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from django_tryon import imaging
from django_tryon.models import Garment, Source, Status, TryOnJob
from django_tryon.providers.sandbox import SandboxProvider
from django_tryon.services import (
    JobTimeout,
    arequest_tryon,
    credits_committed_today,
    delete_job,
    request_tryon,
    retry_job,
)
from django_tryon.services.jobs import _request_tryon  # shopper plumbing: source, owner
from tests.fixtures import make_image

pytestmark = pytest.mark.django_db(transaction=True)


class UpperBodyOnly(SandboxProvider):
    categories: ClassVar = frozenset({"upper_body"})


def stored_names():
    storage = storages["default"]
    return set(storage._files) if hasattr(storage, "_files") else set()


def all_stored(path=""):
    storage = storages["default"]
    dirs, files = storage.listdir(path)
    names = [f"{path}/{f}".lstrip("/") for f in files]
    for d in dirs:
        names += all_stored(f"{path}/{d}".lstrip("/"))
    return names


def bytes_of(fmt, size=(600, 800), **save):
    out = io.BytesIO()
    Image.new("RGB", size, (120, 130, 140)).save(out, fmt, **save)
    return out.getvalue()


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'


def bomb():
    """A 100-megapixel PNG: small on disk, huge once decoded."""
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (b"just some text, not a picture", "not_an_image"),
        (make_image()[:4000], "truncated_image"),
        (SVG, "not_an_image"),  # an SVG, whatever it is called
        (b"", "empty_file"),
        (bomb(), "too_many_pixels"),
        (bytes_of("GIF"), "unsupported_format"),
    ],
    ids=["text", "truncated", "svg-renamed-jpg", "empty", "100-megapixel", "gif"],
)
def test_bad_uploads_are_refused_by_content_leaving_nothing_behind(upload, code, garment, drive):
    before = set(all_stored())
    with pytest.raises(ValidationError) as refused:
        request_tryon(garment, upload)
    assert refused.value.code == code
    assert str(refused.value.messages[0])  # names the problem in words
    assert TryOnJob.objects.count() == 0
    assert set(all_stored()) == before
    assert credits_committed_today() == 0


def test_a_category_the_provider_cant_do_is_refused_before_anything_is_stored(
    settings, product, model_photo
):
    from tests.fixtures import create_garment

    settings.TRYON = {
        **settings.TRYON,
        "PROVIDERS": {
            **settings.TRYON["PROVIDERS"],
            "uppers": {"BACKEND": f"{__name__}.UpperBodyOnly"},
        },
    }
    skirt = create_garment(product, category="lower_body")
    with pytest.raises(ValidationError) as refused:
        request_tryon(skirt, model_photo, provider="uppers")
    assert refused.value.code == "unsupported_category"
    assert TryOnJob.objects.count() == 0


def test_an_unknown_provider_alias_is_refused(garment, model_photo):
    with pytest.raises(ValidationError) as refused:
        request_tryon(garment, model_photo, provider="nope")
    assert refused.value.code == "unknown_provider" and "nope" in str(refused.value.messages[0])
    assert TryOnJob.objects.count() == 0


def test_an_inactive_garment_is_refused(garment, model_photo):
    garment.is_active = False
    garment.save()
    with pytest.raises(ValidationError) as refused:
        request_tryon(garment, model_photo)
    assert refused.value.code == "garment_inactive"


def test_a_shopper_photo_is_reencoded_without_metadata(garment):
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif.get_ifd(0x8825).update({1: "N", 2: (48.0, 51.0, 0.0)})  # GPS latitude
    out = io.BytesIO()
    Image.open(io.BytesIO(make_image((700, 900)))).save(out, "JPEG", exif=exif)
    job = _request_tryon(garment, out.getvalue(), source=Source.SHOPPER)
    with job.person_image.open("rb") as stored:
        image = Image.open(stored)
        assert image.format == "JPEG"
        assert not image.getexif()
    assert job.expires_at is not None and job.source == Source.SHOPPER


def test_an_identical_request_reuses_the_earlier_result_for_free(garment, model_photo, drive):
    first = request_tryon(garment, model_photo)
    drive()
    first.refresh_from_db()
    again = request_tryon(garment, model_photo)
    assert again.status == Status.SUCCEEDED and again.reused_from_id == first.pk
    assert again.credits_charged == 0 and again.estimated_credits == 0
    assert again.result.name != first.result.name  # its own copy: deleting one keeps the other
    delete_job(first)
    assert storages["tryon_private"].exists(again.result.name)

    other = request_tryon(garment, model_photo, options={"seed": 7})
    assert other.status == Status.PENDING and other.reused_from_id is None


def test_reuse_can_be_declined(garment, model_photo, drive):
    request_tryon(garment, model_photo)
    drive()
    assert request_tryon(garment, model_photo, reuse=False).status == Status.PENDING


def test_the_daily_budget_is_checked_before_anything_is_spent(settings, garment, model_photo):
    settings.TRYON = {**settings.TRYON, "DAILY_CREDIT_BUDGET": 1}
    request_tryon(garment, model_photo)
    with pytest.raises(ValidationError) as refused:
        request_tryon(garment, model_photo, options={"n": 2})
    assert refused.value.code == "budget_exceeded"
    assert TryOnJob.objects.count() == 1


def test_the_shopper_budget_leaves_merchant_work_alone(settings, garment, model_photo, jpeg_photo):
    settings.TRYON = {**settings.TRYON, "SHOPPER_DAILY_CREDIT_BUDGET": 1}
    _request_tryon(garment, jpeg_photo, source=Source.SHOPPER)
    with pytest.raises(ValidationError):
        _request_tryon(garment, make_image((700, 900), color=(90, 60, 40)), source=Source.SHOPPER)
    _request_tryon(garment, model_photo, source=Source.ADMIN)


def test_request_tryon_runs_at_most_ten_queries(garment, model_photo):
    request_tryon(garment, model_photo, reuse=False)  # the day's first makes its budget row
    with CaptureQueriesContext(connection) as queries:
        request_tryon(garment, model_photo)
    assert len(queries) <= 10, [q["sql"] for q in queries]


def test_a_garment_keeps_the_digest_of_its_image_from_when_it_is_saved(garment):
    with storages["default"].open(garment.image.name, "rb") as stored:
        assert garment.image_digest == hashlib.sha256(stored.read()).hexdigest()
    garment.name = "Renamed"
    garment.save()  # the same image: nothing to read again
    assert Garment.objects.get(pk=garment.pk).image_digest == garment.image_digest


def test_request_tryon_for_an_existing_garment_does_not_decode_its_image(
    garment, model_photo, monkeypatch
):
    model_photo.image_sha256()  # the person's side, validated once, kept on the row
    garment = Garment.objects.get(pk=garment.pk)  # as a web process loads it
    opened = []
    monkeypatch.setattr(Image, "open", lambda *a, **k: opened.append(a) or 1 / 0)
    monkeypatch.setattr(imaging, "decoding", lambda *a: opened.append(a) or 1 / 0)
    for i in range(3):
        request_tryon(garment, model_photo, options={"n": i})
    assert opened == []
    assert TryOnJob.objects.filter(garment=garment).count() == 3


def test_retry_makes_a_new_attempt_and_keeps_the_history(settings, garment, model_photo, drive):
    settings.TRYON = {
        **settings.TRYON,
        "PROVIDERS": {
            "sandbox": {
                "BACKEND": "django_tryon.providers.sandbox.SandboxProvider",
                "LATENCY": 0,
                "OUTCOME": "no_person",
            }
        },
    }
    failed = request_tryon(garment, model_photo)
    drive()
    failed.refresh_from_db()
    settings.TRYON = {
        **settings.TRYON,
        "PROVIDERS": {
            "sandbox": {"BACKEND": "django_tryon.providers.sandbox.SandboxProvider", "LATENCY": 0}
        },
    }
    retried = retry_job(failed)
    assert retried.pk != failed.pk and retried.retry_of_id == failed.pk
    drive()
    retried.refresh_from_db()
    assert retried.status == Status.SUCCEEDED
    assert TryOnJob.objects.get(pk=failed.pk).status == Status.FAILED


def test_wait_gives_up_with_the_job_when_nothing_runs_it(garment, model_photo):
    with pytest.raises(JobTimeout) as waited:
        request_tryon(garment, model_photo, wait=True, timeout=0.3)
    assert waited.value.job.status == Status.PENDING


@pytest.mark.cluster
def test_wait_blocks_until_a_cluster_finishes_the_job(qcluster, garment, model_photo):
    qcluster()
    job = request_tryon(garment, model_photo, wait=True, timeout=30)
    assert job.status == Status.SUCCEEDED and job.result


@pytest.mark.cluster
def test_the_async_twin_waits_without_blocking_the_loop(qcluster, garment, model_photo):
    qcluster()

    async def main():
        ticks = 0

        async def heartbeat():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.05)
                ticks += 1

        beat = asyncio.create_task(heartbeat())
        job = await arequest_tryon(garment, model_photo, wait=True, timeout=30)
        beat.cancel()
        return job, ticks

    # A thread of its own: other tests (Playwright's sync API) may leave a loop running here.
    with ThreadPoolExecutor(1) as thread:
        job, ticks = thread.submit(asyncio.run, main()).result()
    assert job.status == Status.SUCCEEDED
    assert ticks > 3  # the loop kept running while we waited


def test_request_tryon_takes_what_a_shop_developer_needs_and_no_shopper_plumbing():
    import inspect

    parameters = set(inspect.signature(request_tryon).parameters)
    assert parameters == {
        "garment",
        "person_image",
        "provider",
        "category",
        "prompt",
        "options",
        "reuse",
        "wait",
        "timeout",
    }
    assert not {"source", "owner", "consent_version", "check_quality"} & parameters


def test_a_shoppers_result_is_reused_only_for_the_same_shopper(garment, model_photo, drive):
    photo = make_image()
    first = _request_tryon(garment, photo, source=Source.SHOPPER, owner="alice")
    drive()
    first.refresh_from_db()
    assert first.status == Status.SUCCEEDED

    # Another shopper with the very same photo learns nothing: a fresh, paid job.
    stranger = _request_tryon(garment, photo, source=Source.SHOPPER, owner="mallory")
    assert stranger.status == Status.PENDING and stranger.reused_from_id is None
    assert stranger.estimated_credits > 0
    # Nor does the shop (admin, API) get a shopper's result.
    assert request_tryon(garment, photo).reused_from_id is None
    # The same shopper trying again gets their own result for free.
    again = _request_tryon(garment, photo, source=Source.SHOPPER, owner="alice")
    assert again.status == Status.SUCCEEDED and again.reused_from_id == first.pk


def test_the_shops_results_are_still_reused_for_everyone(garment, model_photo, drive):
    merchant = _request_tryon(garment, model_photo, source=Source.ADMIN)
    photo = make_image()
    shop_upload = _request_tryon(garment, photo, source=Source.API)  # the shop's own upload
    drive()
    assert _request_tryon(garment, model_photo, source=Source.API).reused_from_id == merchant.pk
    shopper = _request_tryon(garment, photo, source=Source.SHOPPER, owner="alice")
    assert shopper.status == Status.SUCCEEDED and shopper.reused_from_id == shop_upload.pk


def test_an_expired_result_is_never_reused(garment, drive):
    from datetime import timedelta

    from django.utils import timezone

    photo = make_image()
    first = _request_tryon(garment, photo, source=Source.SHOPPER, owner="alice")
    drive()
    TryOnJob.objects.filter(pk=first.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    again = _request_tryon(garment, photo, source=Source.SHOPPER, owner="alice")
    assert again.reused_from_id is None and again.status == Status.PENDING
