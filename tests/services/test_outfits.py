"""request_outfit: several garments as one job, checked before anything is stored or spent."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from django_tryon.models import OutfitPart, Status, TryOnJob
from django_tryon.providers.sandbox import SandboxProvider
from django_tryon.services import outfit_calls, outfit_credits, request_outfit, retry_job
from django_tryon.services.jobs import _request_tryon
from tests.fixtures import create_garment

pytestmark = pytest.mark.django_db

SANDBOX = "django_tryon.providers.sandbox.SandboxProvider"


@pytest.fixture
def trousers(product):
    return create_garment(product, name="Chinos", category="lower_body", description="chinos")


def one_per_call(settings, **options):
    settings.TRYON = {
        **settings.TRYON,
        "PROVIDERS": {"sandbox": {"BACKEND": SANDBOX, "LATENCY": 0, "MAX_GARMENTS": 1, **options}},
    }


def refusal(callable_, *args, **kwargs) -> str:
    with pytest.raises(ValidationError) as caught:
        callable_(*args, **kwargs)
    return caught.value.code


def test_an_outfit_is_one_job_listing_its_garments_in_order(garment, trousers, model_photo):
    job = request_outfit([trousers, garment], model_photo)
    assert TryOnJob.objects.count() == 1 and job.status == Status.PENDING
    assert job.outfit_garments() == [trousers, garment] and job.outfit_size == 2
    assert job.garment == trousers and job.category == "lower_body"


def test_the_cost_is_the_sum_of_the_calls_the_provider_takes(settings):
    assert outfit_calls(SandboxProvider("a"), 3) == 1
    assert outfit_credits(SandboxProvider("a", COST=5), 3) == 5
    assert outfit_calls(SandboxProvider("a", MAX_GARMENTS=2), 3) == 2
    assert outfit_credits(SandboxProvider("a", MAX_GARMENTS=1, COST=5), 3) == 15


def test_two_garments_of_one_category_are_refused_before_anything_is_stored(
    garment, product, model_photo
):
    polo = create_garment(product, name="Polo")
    assert refusal(request_outfit, [garment, polo], model_photo) == "outfit_categories"
    assert not TryOnJob.objects.exists() and not OutfitPart.objects.exists()


def test_an_inactive_garment_or_one_without_a_picture_is_refused(garment, trousers, model_photo):
    trousers.is_active = False
    trousers.save()
    assert refusal(request_outfit, [garment, trousers], model_photo) == "garment_inactive"
    trousers.is_active = True
    trousers.image = ""
    trousers.prompt = "beige chinos"
    trousers.save()
    assert refusal(request_outfit, [garment, trousers], model_photo) == "invalid_input"


def test_a_category_the_provider_cant_do_is_refused(garment, trousers, model_photo, monkeypatch):
    monkeypatch.setattr(SandboxProvider, "categories", frozenset({"upper_body"}))
    code = refusal(request_outfit, [garment, trousers], model_photo)
    assert code == "unsupported_category"


def test_an_identical_outfit_is_reused_for_free(garment, trousers, model_photo, drive):
    first = request_outfit([garment, trousers], model_photo)
    drive()
    again = request_outfit([garment, trousers], model_photo)
    assert again.status == Status.SUCCEEDED and again.reused_from_id == first.pk
    assert again.estimated_credits == 0 and again.outfit_garments() == [garment, trousers]
    # The same garments one by one are other pictures: never mistaken for the outfit.
    single = _request_tryon(garment, model_photo)
    assert single.reused_from is None


def test_a_retry_wears_the_whole_outfit_again(garment, trousers, model_photo, drive, settings):
    one_per_call(settings, OUTCOME="no_person")
    failed = request_outfit([garment, trousers], model_photo)
    drive()
    failed.refresh_from_db()
    assert failed.status == Status.FAILED
    one_per_call(settings)
    retried = retry_job(failed)
    assert retried.outfit_garments() == [garment, trousers] and retried.estimated_credits == 2


def test_starting_from_an_earlier_result_pays_only_the_new_garments(
    garment, trousers, model_photo, drive, settings
):
    one_per_call(settings)
    top = _request_tryon(garment, model_photo)
    drive()
    top.refresh_from_db()
    outfit = _request_tryon(garment, model_photo, extra_garments=[trousers], chain_from=top)
    assert outfit.outfit_done == 1 and outfit.estimated_credits == 1
    assert outfit.outfit_image.name != top.result.name  # its own copy: each job owns its files
    drive()
    outfit.refresh_from_db()
    assert outfit.status == Status.SUCCEEDED and outfit.attempts == 1
