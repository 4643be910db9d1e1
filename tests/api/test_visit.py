"""One photo for the visit over the API: uploaded once, reused by token, deleted with its results."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from django_tryon import signals
from django_tryon.models import ShopperPhoto, Source, Status, TryOnJob
from django_tryon.storage import private_storage
from tests.api.conftest import CREATE_URL, Shopper, shopper_files
from tests.fixtures import create_garment, make_image

pytestmark = pytest.mark.django_db

VISIT_URL = "/tryon/visit/"


@pytest.fixture
def other_garment(product):
    return create_garment(product, name="Wide trousers", category="lower_body")


@pytest.fixture
def first(shopper, garment, photo, drive):
    """A first try-on with an upload, finished."""
    body = shopper.upload(garment, photo).json()
    drive()
    return body


def reuse(shopper: Shopper, garment, token: str, **fields) -> dict:
    response = shopper.post(CREATE_URL, {"garment": garment.pk, "photo_token": token, **fields})
    return {**response.json(), "http": response.status_code}


def test_the_first_upload_becomes_the_visits_photo(shopper, first):
    photo = first["photo"]
    assert photo["url"] == f"/tryon/photos/{photo['token']}/"
    stored = ShopperPhoto.objects.get(token=photo["token"])
    job = TryOnJob.objects.get(token=first["token"])
    assert job.shopper_photo == stored and not job.person_image  # referenced, not copied
    assert stored.owner == job.owner and stored.consent_version == "1"
    assert job.expires_at == stored.expires_at == stored.created_at + timedelta(hours=24)

    image = shopper.get(photo["url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert b"".join(image.streaming_content)[:3] == b"\xff\xd8\xff"
    assert "no-store" in image["Cache-Control"]


def test_later_try_ons_reuse_it_without_upload_or_new_consent(
    shopper, first, garment, other_garment, drive
):
    files_before = set(shopper_files())
    answer = reuse(shopper, other_garment, first["photo"]["token"])  # no photo, no consent
    assert answer["http"] == 201, answer
    assert answer["photo"] == first["photo"]
    drive()
    job = TryOnJob.objects.get(token=answer["token"])
    assert job.status == Status.SUCCEEDED and job.category == "lower_body"
    assert job.shopper_photo.token == first["photo"]["token"]
    assert job.consent_version == "1" and job.consented_at == job.shopper_photo.consented_at
    assert ShopperPhoto.objects.count() == 1
    # Only the new result was stored: the photo wasn't copied.
    assert set(shopper_files()) - files_before == {job.result.name}


def test_the_same_photo_uploaded_again_is_stored_once(shopper, garment, other_garment, photo):
    shopper.upload(garment, photo)
    shopper.upload(other_garment, photo)
    assert ShopperPhoto.objects.count() == 1
    assert TryOnJob.objects.filter(shopper_photo__isnull=False).count() == 2


def test_a_photo_is_its_sessions_only(shopper, other_shopper, first, other_garment):
    token = first["photo"]["token"]
    for who in (other_shopper, Shopper()):
        answer = reuse(who, other_garment, token)
        assert answer["http"] == 404 and answer["code"] == "photo_gone"
        assert who.get(first["photo"]["url"]).status_code == 404
        assert who.delete(first["photo"]["url"]).status_code == 404
        assert who.get(VISIT_URL).json() == {"photo": None, "result": None}
    assert ShopperPhoto.objects.filter(token=token).exists()


def test_a_changed_consent_text_must_be_agreed_again(shopper, first, other_garment, settings):
    settings.TRYON = {**settings.TRYON, "CONSENT_VERSION": "2"}
    token = first["photo"]["token"]
    refused = reuse(shopper, other_garment, token)
    assert refused["http"] == 400 and refused["code"] == "consent_required"
    accepted = reuse(shopper, other_garment, token, consent="1", consent_version="2")
    assert accepted["http"] == 201
    assert TryOnJob.objects.get(token=accepted["token"]).consent_version == "2"


def test_an_expired_photo_is_gone_and_no_job_outlives_it(shopper, first, other_garment):
    photo = ShopperPhoto.objects.get()
    soon = timezone.now() + timedelta(hours=1)
    ShopperPhoto.objects.filter(pk=photo.pk).update(expires_at=soon)
    later = reuse(shopper, other_garment, photo.token)
    assert TryOnJob.objects.get(token=later["token"]).expires_at == soon

    ShopperPhoto.objects.filter(pk=photo.pk).update(expires_at=timezone.now())
    answer = reuse(shopper, other_garment, photo.token)
    assert answer["http"] == 404 and answer["code"] == "photo_gone"
    assert shopper.get(VISIT_URL).json()["photo"] is None


def test_the_visit_tells_the_photo_and_this_products_latest_result(
    shopper, first, garment, other_garment
):
    visit = shopper.get(f"{VISIT_URL}?garment={garment.pk}")
    assert visit.status_code == 200 and "no-store" in visit["Cache-Control"]
    body = visit.json()
    assert body["photo"] == first["photo"]
    assert body["result"]["token"] == first["token"]
    assert body["result"]["status"] == "succeeded" and body["result"]["result_url"]
    assert shopper.get(f"{VISIT_URL}?garment={other_garment.pk}").json()["result"] is None
    assert shopper.get(VISIT_URL).json()["result"] is None

    garment.is_active = False  # a product no longer offered shows no result
    garment.save()
    assert shopper.get(f"{VISIT_URL}?garment={garment.pk}").json()["result"] is None


def test_a_garment_that_is_no_id_is_a_bad_request(shopper):
    for value in ("abc", "0", "-1", "1.5"):
        response = shopper.get(f"{VISIT_URL}?garment={value}")
        assert response.status_code == 400 and response.json()["code"] == "bad_request"


def test_deleting_the_photo_deletes_every_result_made_from_it(shopper, first, other_garment, drive):
    second = reuse(shopper, other_garment, first["photo"]["token"])
    drive()
    jobs = list(TryOnJob.objects.all())
    names = [jobs[0].shopper_photo.image.name] + [j.result.name for j in jobs]
    assert len(jobs) == 2 and all(private_storage().exists(n) for n in names)

    seen = []

    def receiver(sender, job, request, **kwargs):
        seen.append(job.token)

    signals.shopper_job_deleted.connect(receiver)
    try:
        assert shopper.delete(first["url"]).status_code == 204  # "Delete my photo now"
    finally:
        signals.shopper_job_deleted.disconnect(receiver)
    assert not TryOnJob.objects.exists() and not ShopperPhoto.objects.exists()
    assert not any(private_storage().exists(n) for n in names)
    assert shopper_files() == []
    assert sorted(seen) == sorted([first["token"], second["token"]])
    for url in (first["url"], second["url"], first["photo"]["url"]):
        assert shopper.get(url).status_code == 404


def test_delete_by_the_photos_url(shopper, first):
    assert shopper.delete(first["photo"]["url"]).status_code == 204
    assert not TryOnJob.objects.exists() and shopper_files() == []
    assert shopper.delete(first["photo"]["url"]).json()["code"] == "photo_gone"


def test_deleting_a_photo_cancels_a_running_job_made_from_it(shopper, garment, photo):
    created = shopper.upload(garment, photo).json()
    assert TryOnJob.objects.get(token=created["token"]).status == Status.PENDING
    assert shopper.delete(created["photo"]["url"]).status_code == 204
    assert not TryOnJob.objects.exists() and shopper_files() == []


def test_polling_a_job_made_from_the_visits_photo_stays_cheap(
    shopper, first, other_garment, django_assert_max_num_queries
):
    answer = reuse(shopper, other_garment, first["photo"]["token"])
    TryOnJob.objects.filter(token=answer["token"]).update(status=Status.RUNNING)
    shopper.get(answer["url"])  # warm caches
    with django_assert_max_num_queries(2):
        assert shopper.get(answer["url"]).json()["status"] == "running"


def test_retention_deletes_the_photo_with_its_last_jobs(shopper, first):
    from django_tryon.services import delete_expired

    past = timezone.now() - timedelta(seconds=1)
    TryOnJob.objects.update(expires_at=past)
    ShopperPhoto.objects.update(expires_at=past)
    assert delete_expired() == 1
    assert not ShopperPhoto.objects.exists() and shopper_files() == []
    assert TryOnJob.objects.filter(source=Source.SHOPPER).count() == 0


@pytest.fixture
def chinos():
    from tests.shop.models import Product

    return create_garment(Product.objects.create(name="Chinos"), name="", category="lower_body")


def cart_setting(settings) -> None:
    settings.TRYON = {
        **settings.TRYON,
        "ADD_TO_CART": {"URL": "/bag/{pk}/add/", "FIELDS": {"quantity": "1"}, "LABEL": "Buy"},
    }


def test_a_reloaded_outfit_offers_each_garment_to_buy(
    shopper, first, garment, chinos, drive, settings, django_assert_max_num_queries
):
    cart_setting(settings)
    outfit = shopper.post(first["outfit_url"], {"garment": chinos.pk}).json()
    drive()
    with django_assert_max_num_queries(9):  # 5 for any visit, 2 per garment
        result = shopper.get(f"{VISIT_URL}?garment={garment.pk}").json()["result"]
    assert result["token"] == outfit["token"] and result["garments"] == 2
    tee, trousers = garment.product, chinos.product
    assert result["outfit"] == [
        {
            "garment": garment.pk,
            "category": "upper_body",
            "name": "Linen shirt",
            "product": f"shop.product:{tee.pk}",
            "add_to_cart": {
                "action": f"/bag/{tee.pk}/add/",
                "fields": {"quantity": "1"},
                "label": "Buy",
            },
        },
        {
            "garment": chinos.pk,
            "category": "lower_body",
            "name": "Chinos",  # no garment name: the product's
            "product": f"shop.product:{trousers.pk}",
            "add_to_cart": {
                "action": f"/bag/{trousers.pk}/add/",
                "fields": {"quantity": "1"},
                "label": "Buy",
            },
        },
    ]
    # The status poll itself stays as it was: no outfit, no cart, no extra query.
    assert "outfit" not in shopper.get(outfit["url"]).json()


def test_a_single_result_has_its_own_entry_and_none_for_a_product_not_sold_now(
    shopper, first, garment, chinos, drive, settings
):
    body = shopper.get(f"{VISIT_URL}?garment={garment.pk}").json()["result"]
    assert [(e["garment"], e["add_to_cart"]) for e in body["outfit"]] == [(garment.pk, None)]

    cart_setting(settings)
    shopper.post(first["outfit_url"], {"garment": chinos.pk})
    drive()
    chinos.product.is_published = False
    chinos.product.save()
    entries = shopper.get(f"{VISIT_URL}?garment={garment.pk}").json()["result"]["outfit"]
    assert [e["garment"] for e in entries] == [garment.pk, chinos.pk]
    assert entries[0]["add_to_cart"]["action"] == f"/bag/{garment.product.pk}/add/"
    assert entries[1]["add_to_cart"] is None  # not offered now: nothing to buy


def test_a_shops_django_form_gives_its_initial_values(rf):
    from django import forms

    from django_tryon.adapters import CartForm
    from django_tryon.carts import as_json

    class Quantity(forms.Form):
        quantity = forms.IntegerField(initial=1, widget=forms.HiddenInput)
        colour = forms.ChoiceField(choices=[("red", "Red"), ("blue", "Blue")])

    cart = CartForm(action="/basket/add/7/", fields={"x": "y"}, form=Quantity(prefix="p"))
    assert as_json(cart) == {
        "action": "/basket/add/7/",
        "fields": {"x": "y", "p-quantity": "1"},  # the open choice is the client's
        "label": "",
    }


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def thumbnail_of(shopper: Shopper, photo: dict) -> bytes:
    response = shopper.get(photo["thumbnail_url"])
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    return body_of(response)


def test_use_my_photo_is_a_small_thumbnail_stored_beside_the_photo(shopper, garment):
    created = shopper.upload(garment, make_image((1536, 2048))).json()["photo"]
    assert created["thumbnail_url"] == created["url"] + "thumbnail/"
    stored = ShopperPhoto.objects.get()
    assert (stored.image_width, stored.image_height) == (1536, 2048)
    assert private_storage().exists(stored.thumbnail_name)

    data = thumbnail_of(shopper, created)
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.size == (120, 160)
    assert not image.info.get("exif") and not image.getexif()
    full = body_of(shopper.get(created["url"]))
    assert len(data) < 8_000 and len(data) * 10 < len(full), (len(data), len(full))


def test_a_thumbnail_is_its_sessions_only(shopper, other_shopper, first):
    for who in (other_shopper, Shopper()):
        refused = who.get(first["photo"]["thumbnail_url"])
        assert refused.status_code == 404 and refused.json()["code"] == "photo_gone"
    assert shopper.get(first["photo"]["thumbnail_url"] + "x").status_code == 404


def test_a_photo_stored_before_thumbnails_gets_one_made_on_request(shopper, first):
    stored = ShopperPhoto.objects.get()
    private_storage().delete(stored.thumbnail_name)
    image = Image.open(io.BytesIO(thumbnail_of(shopper, first["photo"])))
    assert image.format == "JPEG" and image.size == (128, 160)  # from the 640 x 800 photo
    assert not private_storage().exists(stored.thumbnail_name)  # made, not stored


def test_the_thumbnail_goes_with_the_photo(shopper, first, other_garment, drive):
    reuse(shopper, other_garment, first["photo"]["token"])
    drive()
    thumb = ShopperPhoto.objects.get().thumbnail_name
    assert private_storage().exists(thumb) and thumb in shopper_files()
    assert shopper.delete(first["url"]).status_code == 204  # "Delete my photo now"
    assert not private_storage().exists(thumb) and shopper_files() == []
    assert shopper.get(first["photo"]["thumbnail_url"]).status_code == 404


def test_retention_takes_the_thumbnail_too(shopper, first):
    from django_tryon.services import delete_expired

    past = timezone.now() - timedelta(seconds=1)
    TryOnJob.objects.update(expires_at=past)
    ShopperPhoto.objects.update(expires_at=past)
    delete_expired()
    assert shopper_files() == []


def test_a_thumbnail_that_fails_leaves_no_photo_behind(shopper, garment, photo, monkeypatch):
    from django_tryon.services import photos

    def broken(fileobj):
        raise OSError("disk full")

    monkeypatch.setattr(photos, "thumbnail", broken)
    assert shopper.upload(garment, photo).status_code == 500
    assert shopper_files() == [] and not ShopperPhoto.objects.exists()
