"""The "Generate an outfit" action: garments worn together on model photos, priced per call."""

from __future__ import annotations

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages

from django_tryon.models import Source, Status, TryOnBatch, TryOnJob

PRODUCTS = "/admin/catalog/product/"
GARMENTS = "/admin/django_tryon/garment/"


def outfit_action(client, products, url=PRODUCTS, **extra):
    data = {"action": "generate_outfit", ACTION_CHECKBOX_NAME: [p.pk for p in products], **extra}
    if "_tryon_step" not in extra:
        data["index"] = 0
    return client.post(url, data)


def test_the_page_offers_photos_suiting_every_garment_and_prices_each_provider(admin_client, shop):
    response = outfit_action(admin_client, [shop["shirts"][0], shop["skirt"]])
    assert response.status_code == 200
    page = response.content.decode()
    assert "Garments worn together" in page and "Oxford Shirt" in page and "Pleated Skirt" in page
    assert "Alex" in page and "Sam" not in page  # Sam suits the upper body only
    assert "Calls per picture" in page and not TryOnJob.objects.exists()


def test_confirming_makes_one_outfit_job_per_photo_and_runs_it(admin_client, shop, drive):
    response = outfit_action(
        admin_client,
        [shop["shirts"][0], shop["skirt"]],
        _tryon_step="confirm",
        model_photos=[shop["alex"].pk],
        provider="premium",
    )
    batch = TryOnBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/django_tryon/tryonjob/batch/{batch.pk}/"
    [job] = TryOnJob.objects.all()
    assert job.batch == batch and job.source == Source.ADMIN and job.outfit_size == 2
    assert job.estimated_credits == 25  # the sandbox takes both garments in one call
    assert "Generating 1 outfit with premium." in [
        str(m) for m in get_messages(response.wsgi_request)
    ]
    assert drive() == 0
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED and job.result
    page = admin_client.get(f"/admin/django_tryon/tryonjob/{job.pk}/change/").content.decode()
    assert "Oxford Shirt" in page and "Pleated Skirt" in page  # every garment of the outfit


def test_the_action_is_on_the_garment_changelist_too(admin_client, shop):
    response = admin_client.get(GARMENTS)
    assert b'value="generate_outfit"' in response.content


def test_two_shirts_are_not_an_outfit(admin_client, shop):
    response = outfit_action(admin_client, shop["shirts"])
    assert response.status_code == 302  # back to the changelist, with the reason
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "one garment of each kind" in message
    assert not TryOnJob.objects.exists()
