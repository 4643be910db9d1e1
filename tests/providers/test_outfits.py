"""Outfits on the real providers' APIs (our emulators): one garment per call, so chained.

Magic Hour and Change Clothes AI put one garment on per call: an outfit of a top and a
bottom is two creates at the provider, the second on the first one's picture, and one
job, one result and the sum of the two charges for us.
"""

from __future__ import annotations

import pytest
from django_q.models import OrmQ

from django_tryon import budget, pipeline
from django_tryon.models import Status
from django_tryon.pipeline.leases import DRAIN_LEASE, unmark_queued
from django_tryon.providers.changeclothes import ChangeClothesProvider
from django_tryon.providers.magichour import MagicHourProvider
from django_tryon.services import request_outfit
from tests.fixtures import create_garment

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def trousers(product):
    return create_garment(product, name="Chinos", category="lower_body", description="chinos")


@pytest.mark.parametrize("backend", [MagicHourProvider, ChangeClothesProvider])
def test_these_providers_chain_an_outfit(backend):
    assert backend.max_garments == 1


def test_magic_hour_makes_a_top_and_a_bottom_in_two_calls(
    mh, drive, garment, trousers, model_photo
):
    job = request_outfit([garment, trousers], model_photo)
    per_call = job.estimated_credits // 2
    assert per_call > 0  # the estimate is the sum of the two calls
    assert drive() == 0
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error_message
    assert mh.create_calls == 2 and job.attempts == 2
    assert job.result and job.outfit_image and job.outfit_done == 1
    [first] = job.provider_data["outfit_calls"]
    assert first["provider_job_id"] != job.provider_job_id
    assert job.credits_charged == first["credits"] + job.provider_data["credits"]


def test_change_clothes_makes_a_top_and_a_bottom_in_two_calls(
    cc, drive, garment, trousers, model_photo
):
    job = request_outfit([garment, trousers], model_photo)
    assert drive() == 0
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error_message
    assert cc.create_calls == 2 and job.attempts == 2
    assert job.credits_charged == job.estimated_credits == 4  # two calls at 2 credits
    assert job.outfit_done == 1 and job.result


def test_a_refused_second_call_fails_the_outfit_and_only_the_first_is_charged(
    cc, drive, garment, trousers, model_photo
):
    job = request_outfit([garment, trousers], model_photo)
    OrmQ.objects.all().delete()  # no drain runs: one worker takes the first call, to its end
    unmark_queued(DRAIN_LEASE)
    pipeline.advance(job.pk)
    job.refresh_from_db()
    assert job.status == Status.PENDING and job.outfit_done == 1 and cc.create_calls == 1
    cc.inject("code", code=10005)  # the provider refuses the second picture: harmful content
    assert drive() == 0
    job.refresh_from_db()
    assert job.status == Status.FAILED and job.error_code == "harmful_content"
    assert cc.create_calls == 2 and job.credits_charged == 2  # the first call's 2 credits
    assert budget.committed() == 2
