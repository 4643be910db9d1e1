"""The batch page and its JSON: live progress of a generation, for those who may see jobs."""

from __future__ import annotations

import pytest

from django_tryon.models import Garment, Status, TryOnBatch, TryOnJob
from django_tryon.services import generate

from .support import queries


def batch_url(batch, suffix=""):
    return f"/admin/django_tryon/tryonjob/batch/{batch.pk}/{suffix}"


@pytest.fixture
def batch(shop) -> TryOnBatch:
    garments = list(Garment.objects.order_by("pk"))
    created, _ = generate(garments, [shop["alex"], shop["sam"]], "sandbox")
    return created


def test_batch_page_shows_progress_and_cards(admin_client, batch):
    response = admin_client.get(batch_url(batch))
    assert response.status_code == 200
    content = response.content.decode()
    assert f"Try-on batch #{batch.pk}" in content
    assert content.count('class="tryon-card"') == 5
    assert f'data-status-url="{batch_url(batch, "status.json")}"' in content
    assert "django_tryon/admin/batch.js" in content
    assert response.context["progress"].pending == 5


def test_status_json_follows_the_batch(admin_client, batch, drive):
    data = admin_client.get(batch_url(batch, "status.json")).json()
    assert data["progress"]["total"] == 5
    assert data["progress"]["pending"] == 5 and data["progress"]["finished"] is False
    assert [job["status"] for job in data["jobs"]] == ["pending"] * 5

    drive()
    data = admin_client.get(batch_url(batch, "status.json")).json()
    progress = data["progress"]
    assert progress["finished"] is True
    assert progress["succeeded"] == 5 and progress["done"] == 5 and progress["percent"] == 100
    assert progress["credits"] == 5 and progress["expected_credits"] == 0
    assert all(job["result"].endswith("/preview/result/?size=thumb") for job in data["jobs"])
    page = admin_client.get(batch_url(batch)).content.decode()
    assert "This batch is finished." in page


def test_failures_and_retries_are_counted_apart(admin_client, batch, drive):
    drive()
    job = TryOnJob.objects.filter(batch=batch).first()
    TryOnJob.objects.filter(pk=job.pk).update(
        status=Status.FAILED, error_message="No person found."
    )
    data = admin_client.get(batch_url(batch, "status.json")).json()
    assert data["progress"]["failed"] == 1
    assert data["jobs"][0]["error"] == "No person found."

    TryOnJob.objects.create(
        garment=job.garment,
        model_photo=job.model_photo,
        category=job.category,
        provider="sandbox",
        batch=batch,
        retry_of=job,
        status=Status.SUCCEEDED,
    )
    progress = admin_client.get(batch_url(batch, "status.json")).json()["progress"]
    assert progress["failed"] == 0 and progress["retried"] == 1 and progress["succeeded"] == 5


def test_status_json_query_count_does_not_grow(admin_client, shop, batch):
    small = queries(lambda: admin_client.get(batch_url(batch, "status.json")))
    bigger, _ = generate(list(Garment.objects.all()), [shop["alex"], shop["sam"]], "premium")
    assert queries(lambda: admin_client.get(batch_url(bigger, "status.json"))) == small


def test_unknown_batch(admin_client, shop):
    assert admin_client.get("/admin/django_tryon/tryonjob/batch/999/").status_code == 404


def test_staff_without_the_view_permission(staff_client, batch):
    client = staff_client("catalog.view_product", "django_tryon.generate_tryonjob")
    assert client.get(batch_url(batch)).status_code == 403
    assert client.get(batch_url(batch, "status.json")).status_code == 403
    viewer = staff_client("django_tryon.view_tryonjob")
    assert viewer.get(batch_url(batch)).status_code == 200


def test_anonymous_users_go_to_the_login(client, batch):
    response = client.get(batch_url(batch, "status.json"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_an_all_failed_batch_offers_retry_not_results(admin_client, batch):
    TryOnJob.objects.filter(batch=batch).update(status=Status.FAILED, error_message="No person.")
    page = admin_client.get(batch_url(batch)).content.decode()
    assert "This batch is finished." in page
    assert "<span data-when-succeeded hidden>" in page
    assert "<span data-when-failed>" in page
