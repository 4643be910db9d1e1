"""Complete the look over the API: from a result, one new job wearing one more garment."""

from __future__ import annotations

import pytest

from django_tryon import budget
from django_tryon.models import Status, TryOnJob
from tests.api.conftest import Shopper
from tests.fixtures import create_garment

pytestmark = pytest.mark.django_db

SANDBOX = "django_tryon.providers.sandbox.SandboxProvider"


@pytest.fixture
def trousers(product):
    return create_garment(product, name="Chinos", category="lower_body", description="chinos")


@pytest.fixture
def finished(shopper, garment, photo, drive):
    created = shopper.upload(garment, photo).json()
    drive()
    body = shopper.get(created["url"]).json()
    assert body["status"] == "succeeded" and body["garments"] == 1
    return body


def one_garment_per_call(settings):
    settings.TRYON = {
        **settings.TRYON,
        "PROVIDERS": {"sandbox": {"BACKEND": SANDBOX, "LATENCY": 0, "MAX_GARMENTS": 1}},
    }


def test_a_result_completed_with_trousers_is_one_job_wearing_both(
    shopper, finished, trousers, garment, drive
):
    response = shopper.post(finished["outfit_url"], {"garment": trousers.pk})
    assert response.status_code == 201, response.json()
    outfit = response.json()
    assert response["Location"] == outfit["url"] and outfit["garments"] == 2
    assert outfit["token"] != finished["token"]
    drive()
    done = shopper.get(outfit["url"]).json()
    assert done["status"] == "succeeded" and done["result_url"]
    job = TryOnJob.objects.get(token=outfit["token"])
    assert job.outfit_garments() == [garment, trousers]
    assert job.consent_version and job.consented_at  # the consent, recorded on this job too
    assert job.attempts == 1 and job.credits_charged == 1  # the sandbox takes both at once


def test_a_provider_taking_one_garment_per_call_starts_from_the_result(
    shopper, finished, trousers, drive, settings
):
    one_garment_per_call(settings)
    outfit = shopper.post(finished["outfit_url"], {"garment": trousers.pk}).json()
    job = TryOnJob.objects.get(token=outfit["token"])
    # The top is worn already: the chain starts from that picture, one call to pay.
    assert job.outfit_done == 1 and job.outfit_image and job.estimated_credits == 1
    drive()
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED and job.attempts == 1 and job.credits_charged == 1


def test_a_category_worn_already_is_refused_before_anything_is_spent(shopper, finished, product):
    another_top = create_garment(product, name="Polo", category="upper_body")
    before = TryOnJob.objects.count()
    response = shopper.post(finished["outfit_url"], {"garment": another_top.pk})
    assert response.status_code == 400 and response.json()["code"] == "outfit_categories"
    assert TryOnJob.objects.count() == before and budget.committed() == 1


def test_only_a_finished_job_of_this_session_can_be_completed(shopper, garment, photo, trousers):
    created = shopper.upload(garment, photo).json()
    response = shopper.post(created["outfit_url"], {"garment": trousers.pk})
    assert response.status_code == 409 and response.json()["code"] == "outfit_not_ready"
    stranger = Shopper()
    response = stranger.post(created["outfit_url"], {"garment": trousers.pk})
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_an_unknown_garment_and_a_missing_csrf_token_are_refused(shopper, finished):
    response = shopper.post(finished["outfit_url"], {"garment": 999999})
    assert response.status_code == 404 and response.json()["code"] == "garment_not_found"
    response = shopper.post(finished["outfit_url"], {"garment": 1}, HTTP_X_CSRFTOKEN="")
    assert response.status_code == 403


def test_a_changed_consent_text_asks_for_the_photo_again(shopper, finished, trousers, settings):
    settings.TRYON = {**settings.TRYON, "CONSENT_VERSION": "2027-01"}
    response = shopper.post(finished["outfit_url"], {"garment": trousers.pk})
    assert response.status_code == 409 and response.json()["code"] == "consent_changed"
