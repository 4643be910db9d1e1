"""Try-on in Oscar's dashboard: under its permissions and navigation, on the product edit
page, "Generate try-ons" from the product list, product pictures as garment images, and
deletes through the dashboard taking garments, jobs and files along."""

from __future__ import annotations

import pytest
from django.urls import reverse

from django_tryon.contrib.oscar.integration import SESSION_SELECTION
from django_tryon.models import Garment, ModelPhoto, Source, Status, TryOnBatch, TryOnJob
from django_tryon.services.generation import batch_progress
from django_tryon.storage import get_storage
from tests.fixtures import make_image

from .conftest import Product, add_picture

pytestmark = pytest.mark.django_db

PAGES = {
    "tryon-jobs": ("django_tryon.view_tryonjob",),
    "tryon-model-photos": ("django_tryon.view_modelphoto",),
    "tryon-conversions": ("django_tryon.view_tryonjob",),
}
ALL = (
    "django_tryon.view_tryonjob",
    "django_tryon.view_modelphoto",
    "django_tryon.view_garment",
    "django_tryon.change_garment",
    "django_tryon.add_garment",
    "django_tryon.add_modelphoto",
    "django_tryon.generate_tryonjob",
    # Oscar's own, for its product pages.
    "catalogue.view_product",
    "catalogue.add_product",
    "catalogue.change_product",
    "catalogue.delete_product",
)


def tryon_url(name: str, *args) -> str:
    return reverse(f"django_tryon:tryon_oscar:{name}", args=args)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_pages_need_staff_and_the_permission(name, staff_client, client, catalogue):
    assert staff_client(*PAGES[name]).get(tryon_url(name)).status_code == 200
    assert staff_client().get(tryon_url(name)).status_code == 403
    assert staff_client(*PAGES[name], staff=False).get(tryon_url(name)).status_code in (302, 403)
    anonymous = client.get(tryon_url(name))
    assert anonymous.status_code == 302 and "/dashboard/login/" in anonymous["Location"]


def test_the_navigation_shows_try_on_to_those_allowed(staff_client, catalogue):
    allowed = staff_client(*ALL).get(reverse("dashboard:index")).content.decode()
    assert tryon_url("tryon-jobs") in allowed and tryon_url("tryon-model-photos") in allowed
    refused = staff_client().get(reverse("dashboard:index")).content.decode()
    assert tryon_url("tryon-jobs") not in refused


def test_the_product_edit_page_has_a_try_on_section(staff_client, catalogue):
    shirt = catalogue["shirt"]
    html = staff_client(*ALL).get(reverse("dashboard:catalogue-product", args=[shirt.pk]))
    content = html.content.decode()
    assert 'href="#tryon"' in content and 'id="tryon"' in content
    assert "Oxford Shirt" in content and tryon_url("tryon-product", shirt.pk) in content
    variant = staff_client(*ALL).get(tryon_url("tryon-product", catalogue["red"].pk))
    assert "the parent product’s (Polo) is used" in variant.content.decode()


def test_a_product_picture_becomes_a_garment_without_uploading(staff_client, catalogue):
    shirt = add_picture(catalogue["shirt"]).product
    picture = shirt.images.get()
    merchant = staff_client(*ALL)
    page = merchant.get(tryon_url("tryon-product", shirt.pk)).content.decode()
    assert f'value="{picture.pk}"' in page and 'value="upper_body" selected' in page
    response = merchant.post(
        tryon_url("tryon-product", shirt.pk),
        {"action": "add", "image_key": str(picture.pk), "category": "upper_body", "name": "Front"},
    )
    assert response.status_code == 302
    garment = Garment.objects.for_product(shirt).get(name="Front")
    assert garment.image.name != picture.original.name, "our own copy, in our storage"
    assert get_storage().open(garment.image.name).read() == picture.original.open().read()
    # Adding and switching garments need the permissions to.
    readonly = staff_client("django_tryon.view_garment")
    assert (
        "tryon-add-garment"
        not in readonly.get(tryon_url("tryon-product", shirt.pk)).content.decode()
    )
    response = readonly.post(tryon_url("tryon-product", shirt.pk), {"action": "add"})
    assert response.status_code == 403
    response = readonly.post(
        tryon_url("tryon-product", shirt.pk), {"action": "deactivate", "garment": garment.pk}
    )
    assert response.status_code == 403
    response = merchant.post(
        tryon_url("tryon-product", shirt.pk), {"action": "deactivate", "garment": garment.pk}
    )
    assert response.status_code == 302
    garment.refresh_from_db()
    assert not garment.is_active


def test_model_photos_are_uploaded_in_the_dashboard(staff_client, catalogue):
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("sam.jpg", make_image(), content_type="image/jpeg")
    response = staff_client(*ALL).post(
        tryon_url("tryon-model-photos"),
        {"name": "Sam", "image": photo, "categories": ["upper_body"], "is_active": "on"},
    )
    assert response.status_code == 302
    assert ModelPhoto.objects.filter(name="Sam", categories="upper_body").exists()


def test_generate_from_the_product_list_previews_the_cost_then_makes_a_batch(
    staff_client, catalogue
):
    merchant = staff_client(*ALL)
    products = [catalogue["shirt"].pk, catalogue["polo"].pk]
    response = merchant.post(
        reverse("dashboard:catalogue-product-list"),
        {"action": "generate_tryons", "selected_product": products},
    )
    assert response.status_code == 302 and response["Location"] == tryon_url("tryon-generate")
    assert sorted(merchant.session[SESSION_SELECTION]) == sorted(str(pk) for pk in products)
    preview = merchant.get(tryon_url("tryon-generate"))
    html = preview.content.decode()
    assert "2 garments of the 2 selected products" in html
    assert not TryOnJob.objects.exists(), "a preview spends nothing"
    plan = preview.context["plan"]
    response = merchant.post(
        tryon_url("tryon-generate"),
        {
            "model_photos": [catalogue["alex"].pk],
            "provider": "sandbox",
            "_tryon_step": "confirm",
            "_tryon_planned": str(catalogue["alex"].pk),
        },
    )
    batch = TryOnBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == tryon_url(
        "tryon-batch", batch.pk
    )
    assert batch.jobs.count() == len(plan.alias("sandbox").jobs) == 2
    progress = merchant.get(tryon_url("tryon-batch", batch.pk)).content.decode()
    assert '<span data-stat="done">0</span> / <span data-stat="total">2</span>' in progress
    assert f'data-status-url="{tryon_url("tryon-batch-status", batch.pk)}"' in progress
    assert "django_tryon/admin/batch.js" in progress and 'http-equiv="refresh"' not in progress
    assert (
        staff_client("django_tryon.view_tryonjob").get(tryon_url("tryon-generate")).status_code
        == 403
    )


def add_batch(catalogue, *statuses: str) -> TryOnBatch:
    """A batch of the shirt on Alex, one job per status; a succeeded one has a result."""
    batch = TryOnBatch.objects.create(provider="sandbox")
    for status in statuses:
        TryOnJob.objects.create(
            batch=batch,
            garment=catalogue["shirt_garment"],
            model_photo=catalogue["alex"],
            category="upper_body",
            provider="sandbox",
            status=status,
            source=Source.ADMIN,
            estimated_credits=1,
            credits_charged=1 if status == Status.SUCCEEDED else 0,
            result="tryon/results/x.jpg" if status == Status.SUCCEEDED else "",
            error_message="Provider said no" if status == Status.FAILED else "",
        )
    return batch


def test_the_batch_status_json_is_the_admins_document_under_the_dashboards_check(
    staff_client, client, catalogue
):
    batch = add_batch(catalogue, Status.SUCCEEDED, Status.FAILED, Status.RUNNING, Status.PENDING)
    status_url = tryon_url("tryon-batch-status", batch.pk)
    response = staff_client("django_tryon.view_tryonjob").get(status_url)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    document = response.json()
    assert document["progress"] == batch_progress(batch).as_dict()
    assert document["progress"]["done"] == 2 and document["progress"]["credits"] == 1
    jobs = {job["status"]: job for job in document["jobs"]}
    assert set(jobs) == {Status.SUCCEEDED, Status.FAILED, Status.RUNNING, Status.PENDING}
    succeeded = batch.jobs.get(status=Status.SUCCEEDED)
    assert jobs[Status.SUCCEEDED]["result"] == tryon_url("tryon-image", "result", succeeded.pk)
    assert (
        jobs[Status.FAILED]["error"] == "Provider said no" and jobs[Status.PENDING]["result"] == ""
    )
    # Refused like the batch page: staff without the permission, customers, visitors.
    assert staff_client().get(status_url).status_code == 403
    assert staff_client("django_tryon.view_tryonjob", staff=False).get(status_url).status_code in (
        302,
        403,
    )
    anonymous = client.get(status_url)
    assert anonymous.status_code == 302 and "/dashboard/login/" in anonymous["Location"]
    assert (
        staff_client("django_tryon.view_tryonjob")
        .get(tryon_url("tryon-batch-status", batch.pk + 1))
        .status_code
        == 404
    )


def test_deleting_a_product_in_the_dashboard_takes_its_garments_jobs_and_files(
    staff_client, catalogue
):
    shirt, garment = catalogue["shirt"], catalogue["shirt_garment"]
    job = TryOnJob.objects.create(
        garment=garment,
        category="upper_body",
        provider="sandbox",
        status=Status.SUCCEEDED,
        source=Source.ADMIN,
    )
    names = [garment.image.name]
    merchant = staff_client(*ALL)
    response = merchant.post(reverse("dashboard:catalogue-product-delete", args=[shirt.pk]))
    assert response.status_code == 302
    assert not Product.objects.filter(pk=shirt.pk).exists()
    assert not Garment.objects.filter(pk=garment.pk).exists()
    assert not TryOnJob.objects.filter(pk=job.pk).exists()
    assert not any(get_storage().exists(name) for name in names)


def test_generate_for_a_variant_uses_its_parents_garment(staff_client, catalogue):
    page = staff_client(*ALL).get(tryon_url("tryon-generate") + f"?product={catalogue['red'].pk}")
    assert page.status_code == 200
    assert [g.pk for g in page.context["plan"].garments] == [catalogue["polo_garment"].pk]


def test_oscars_django_admin_for_products_gets_try_on_too(admin_client, catalogue):
    from django.contrib import admin
    from oscar.apps.catalogue.admin import ProductAdmin

    from django_tryon.admin import TryOnProductAdminMixin

    registered = admin.site._registry[Product]
    assert isinstance(registered, ProductAdmin) and isinstance(registered, TryOnProductAdminMixin)
    response = admin_client.get("/admin/catalogue/product/")
    assert response.status_code == 200 and "try-ons" in response.content.decode()
    page = admin_client.get(f"/admin/catalogue/product/{catalogue['shirt'].pk}/change/")
    assert page.status_code == 200 and "try-on garments" in page.content.decode().lower()
