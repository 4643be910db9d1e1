"""Featured results: positions per product page, insertion, and never a shopper's try-on."""

from __future__ import annotations

import pytest

from django_tryon.models import Source, Status, TryOnJob
from django_tryon.services import feature_results, unfeature_results
from tests.admin.support import add_garment, add_photo
from tests.shop.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def results():
    """Three results for a shirt, two for trousers, all made for the merchant."""
    alex = add_photo("Alex")
    made = {}
    for name, count in (("Shirt", 3), ("Trousers", 2)):
        garment = add_garment(Product.objects.create(name=name))
        made[name] = [
            TryOnJob.objects.create(
                garment=garment,
                model_photo=alex,
                category="upper_body",
                provider="sandbox",
                status=Status.SUCCEEDED,
                result=f"tryon/results/{name}-{i}.jpg",
                source=Source.ADMIN,
            )
            for i in range(count)
        ]
    return made


def positions(jobs):
    return [TryOnJob.objects.get(pk=j.pk).featured_order for j in jobs]


def test_featuring_appends_per_product(results):
    shirts, trousers = results["Shirt"], results["Trousers"]
    outcome = feature_results(TryOnJob.objects.filter(pk__in=[shirts[0].pk, trousers[0].pk]))
    assert (outcome.featured, outcome.refused) == (2, 0)
    feature_results(TryOnJob.objects.filter(pk__in=[shirts[1].pk, shirts[2].pk]))
    assert positions(shirts) == [1, 2, 3]
    assert positions(trousers[:1]) == [1]


def test_an_already_featured_result_keeps_its_place(results):
    shirts = results["Shirt"]
    feature_results(TryOnJob.objects.filter(pk=shirts[0].pk))
    outcome = feature_results(TryOnJob.objects.filter(pk__in=[s.pk for s in shirts]))
    assert outcome.featured == 2
    assert positions(shirts) == [1, 2, 3]


def test_featuring_at_a_position_moves_the_rest_down(results):
    shirts = results["Shirt"]
    feature_results(TryOnJob.objects.filter(pk__in=[shirts[0].pk, shirts[1].pk]))
    feature_results(TryOnJob.objects.filter(pk=shirts[2].pk), position=1)
    assert positions(shirts) == [2, 3, 1]
    featured = list(TryOnJob.objects.featured_for(shirts[0].garment.product))
    assert featured == [shirts[2], shirts[0], shirts[1]]


def test_only_merchant_results_can_be_featured(results):
    shirt = results["Shirt"][0]
    TryOnJob.objects.filter(pk=shirt.pk).update(source=Source.SHOPPER)
    failed = results["Shirt"][1]
    TryOnJob.objects.filter(pk=failed.pk).update(status=Status.FAILED)
    outcome = feature_results(TryOnJob.objects.filter(pk__in=[shirt.pk, failed.pk]))
    assert (outcome.featured, outcome.refused) == (0, 2)
    assert not TryOnJob.objects.filter(is_featured=True).exists()


def test_unfeature(results):
    shirts = results["Shirt"]
    feature_results(TryOnJob.objects.filter(pk__in=[s.pk for s in shirts]))
    assert unfeature_results(TryOnJob.objects.filter(pk=shirts[0].pk)) == 1
    assert unfeature_results(TryOnJob.objects.filter(pk=shirts[0].pk)) == 0
    assert TryOnJob.objects.filter(is_featured=True).count() == 2
