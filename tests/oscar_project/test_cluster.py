""" "Generate try-ons" from Oscar's dashboard, carried out by a real qcluster."""

from __future__ import annotations

import pytest
from django.urls import reverse

from django_tryon.models import Status, TryOnBatch
from tests.cluster import wait_until

from .test_dashboard import ALL, tryon_url

pytestmark = pytest.mark.cluster


def test_generate_from_the_dashboard_through_a_real_cluster(qcluster, staff_client, catalogue):
    qcluster(broker="orm")
    merchant = staff_client(*ALL)
    shirt, polo, alex = catalogue["shirt"], catalogue["polo"], catalogue["alex"]
    response = merchant.post(
        reverse("dashboard:catalogue-product-list"),
        {"action": "generate_tryons", "selected_product": [shirt.pk, polo.pk]},
    )
    assert response.status_code == 302
    response = merchant.post(
        tryon_url("tryon-generate"),
        {
            "model_photos": [alex.pk],
            "provider": "sandbox",
            "_tryon_step": "confirm",
            "_tryon_planned": str(alex.pk),
        },
    )
    assert response.status_code == 302
    batch = TryOnBatch.objects.get()
    assert wait_until(lambda: not batch.jobs.exclude(status=Status.SUCCEEDED).exists(), 60)
    assert batch.jobs.count() == 2
    page = merchant.get(tryon_url("tryon-batch", batch.pk)).content.decode()
    assert '<span data-stat="done">2</span> / <span data-stat="total">2</span>' in page
    results = [tryon_url("tryon-image", "result", job.pk) for job in batch.jobs.all()]
    assert all(url in page for url in results)
    thumbnail = merchant.get(results[0])
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"
