"""Deleting a product deletes its garments, their files, and its jobs and their files,
however it is deleted; a garment whose product is gone is never offered for generation."""

from __future__ import annotations

import pytest
from catalog.models import Product as CatalogProduct
from django.core.files.base import ContentFile
from django.db.models.signals import post_delete

from django_tryon.cascades import watch_adapter_models
from django_tryon.models import Garment, Source, Status, TryOnJob
from django_tryon.services import select_garments
from django_tryon.storage import get_private_storage, get_storage
from tests.admin.support import add_product
from tests.fixtures import create_garment, make_image
from tests.shop.models import Product, Style

pytestmark = pytest.mark.django_db


def with_job(garment: Garment) -> TryOnJob:
    """A finished job of ``garment`` with a stored result."""
    job = TryOnJob(garment=garment, category="upper_body", provider="sandbox", source=Source.ADMIN)
    job.status = Status.SUCCEEDED
    job.result.save("r.jpg", ContentFile(make_image()), save=False)
    job.save()
    return job


def stored(*names: str) -> list[bool]:
    # Garment pictures live in the merchant's storage, job files in the private one.
    return [get_storage().exists(n) or get_private_storage().exists(n) for n in names]


def files_of(garment: Garment, job: TryOnJob) -> list[str]:
    return [garment.image.name, job.result.name]


def test_orm_delete_takes_garments_jobs_and_files():
    product = Product.objects.create(name="Shirt")
    garment = create_garment(product)
    job = with_job(garment)
    other = create_garment(Product.objects.create(name="Skirt"))
    names = files_of(garment, job)
    assert stored(*names) == [True, True]
    product.delete()
    assert not Garment.objects.filter(pk=garment.pk).exists()
    assert not TryOnJob.objects.filter(pk=job.pk).exists()
    assert stored(*names) == [False, False]
    assert Garment.objects.filter(pk=other.pk).exists()


def test_queryset_delete_takes_every_products_garments():
    shirts = [Style.objects.create(title=f"Shirt {i}") for i in range(3)]
    garments = [create_garment(shirt) for shirt in shirts]
    kept = create_garment(Style.objects.create(title="Kept"))
    Style.objects.filter(title__startswith="Shirt").delete()
    assert list(Garment.objects.all()) == [kept]
    assert stored(*(g.image.name for g in garments)) == [False] * 3


def test_deleting_a_parent_takes_its_variants_garments():
    parent = Style.objects.create(title="Polo")
    child = Style.objects.create(title="Polo, red", parent=parent)
    create_garment(parent)
    create_garment(child)
    parent.delete()
    assert not Garment.objects.exists()


def test_admin_delete_view_and_bulk_action(admin_client):
    one, two, three = (add_product(name) for name in ("Oxford Shirt", "Linen Shirt", "Tee"))
    job = with_job(Garment.objects.for_product(one).get())
    result = job.result.name
    response = admin_client.post(f"/admin/catalog/product/{one.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TryOnJob.objects.exists()
    assert stored(result) == [False]
    response = admin_client.post(
        "/admin/catalog/product/",
        {"action": "delete_selected", "_selected_action": [two.pk, three.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Garment.objects.exists()
    assert not CatalogProduct.objects.exists()


def test_product_models_setting_is_watched(settings):
    settings.TRYON = {"PRODUCT_MODELS": ["shop.Product"]}
    post_delete.disconnect(sender=Product, dispatch_uid="tryon-cascade-shop.product")
    assert not post_delete.has_listeners(Product)
    watch_adapter_models()
    assert post_delete.has_listeners(Product)


def test_models_that_are_not_products_keep_fast_deletes():
    from django.contrib.sessions.models import Session

    assert not post_delete.has_listeners(Session)


def test_garments_whose_product_is_gone_are_never_offered():
    product = Product.objects.create(name="Shirt")
    alive = create_garment(Product.objects.create(name="Skirt"))
    create_garment(product)
    # Gone without signals (raw SQL, or before django-tryon cascaded deletes).
    Product.objects.filter(pk=product.pk)._raw_delete("default")
    selection = select_garments(Garment.objects.all())
    assert selection.garments == [alive]
    assert selection.orphaned_garments == 1
