"""The "Generate try-ons" action: confirmation page, estimates, bad input, creation, permissions."""

from __future__ import annotations

from catalog.models import Product
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.utils import translation

from django_tryon.models import Source, Status, TryOnBatch, TryOnJob
from django_tryon.pipeline import ensure_drain
from django_tryon.services import request_tryon
from django_tryon.testing.queue import queued_functions

from .support import add_photo, add_product, jobs, pause

PRODUCTS = "/admin/catalog/product/"
GARMENTS = "/admin/django_tryon/garment/"


def run_action(client, products, url=PRODUCTS, follow=False, **extra):
    data = {"action": "generate_tryons", ACTION_CHECKBOX_NAME: [p.pk for p in products], **extra}
    if "_tryon_step" not in extra:
        data["index"] = 0  # as the changelist's own action bar sends it
    return client.post(url, data, follow=follow)


def confirm(client, products, photos, provider="sandbox", url=PRODUCTS, follow=False, **extra):
    return run_action(
        client,
        products,
        url=url,
        follow=follow,
        _tryon_step="confirm",
        model_photos=[p.pk for p in photos],
        provider=provider,
        _tryon_planned=",".join(str(pk) for pk in sorted(p.pk for p in photos)),
        **extra,
    )


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_action_is_on_the_product_changelist(admin_client, shop):
    response = admin_client.get(PRODUCTS)
    assert b'value="generate_tryons"' in response.content


def test_confirmation_page_offers_suiting_photos_and_estimates_per_provider(admin_client, shop):
    inactive = add_photo("Retired", is_active=False, colour=5)
    lower_only = add_photo("Legs", "lower_body", colour=5)
    response = run_action(admin_client, shop["shirts"])

    assert response.status_code == 200
    assert "django_tryon/admin/generate.html" in [t.name for t in response.templates]
    context = response.context
    offered = [photo for _, photo, _, _ in context["photo_choices"]]
    # Shirts are upper body: Legs doesn't suit them, Retired is inactive.
    assert {p.name for p in offered} == {"Alex", "Sam"}
    assert lower_only not in offered and inactive not in offered
    plans = context["plan"].aliases
    assert len(plans["sandbox"].jobs) == 4  # 2 shirts x 2 photos
    assert plans["sandbox"].credits == 4
    assert plans["premium"].credits_per_job == 25
    assert plans["premium"].credits == 100
    content = response.content.decode()
    assert "Oxford Shirt garment" in content and "Linen Shirt garment" in content
    assert "4 new try-ons, about 4 credits" in content
    assert not TryOnJob.objects.exists()  # nothing happens before confirming


def test_identical_existing_results_are_skipped_and_counted(admin_client, shop, drive):
    shirt = shop["shirts"][0]
    from django_tryon.models import Garment

    earlier = request_tryon(
        Garment.objects.for_product(shirt).get(), shop["alex"], provider="sandbox"
    )
    drive()
    earlier.refresh_from_db()
    assert earlier.status == Status.SUCCEEDED

    response = run_action(admin_client, shop["shirts"])
    sandbox = response.context["plan"].aliases["sandbox"]
    assert len(sandbox.skipped) == 1 and sandbox.skipped[0].existing_id == earlier.pk
    assert len(sandbox.jobs) == 3
    # The identical result is per provider: "premium" would make it anew.
    assert len(response.context["plan"].aliases["premium"].skipped) == 0

    response = confirm(admin_client, shop["shirts"], [shop["alex"], shop["sam"]])
    assert response.status_code == 302
    assert TryOnJob.objects.filter(batch__isnull=False).count() == 3


def test_confirming_creates_the_batch_and_redirects_to_it(
    admin_client, shop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = confirm(
            admin_client, [*shop["shirts"], shop["skirt"]], [shop["alex"], shop["sam"]]
        )

    batch = TryOnBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/django_tryon/tryonjob/batch/{batch.pk}/"
    created = jobs()
    # Shirts on Alex and Sam, the skirt on Alex only (Sam suits upper body only).
    assert len(created) == 5
    assert {(j.garment.category, j.model_photo.name) for j in created} == {
        ("upper_body", "Alex"),
        ("upper_body", "Sam"),
        ("lower_body", "Alex"),
    }
    assert all(
        j.batch == batch and j.source == Source.ADMIN and j.status == Status.PENDING
        for j in created
    )
    assert all(j.estimated_credits == 1 and j.next_check_at is not None for j in created)
    assert batch.created_by.is_superuser and batch.provider == "sandbox"
    # One wake-up of the pipeline for the whole batch: a drain, as for a single job.
    assert callbacks[0] is ensure_drain
    assert queued_functions() == ["django_tryon.tasks.drain"]
    assert "Generating 5 try-ons with sandbox." in messages_of(response)


def test_confirmed_jobs_run_to_the_end(admin_client, shop, drive):
    confirm(admin_client, shop["shirts"], [shop["alex"]], provider="premium")
    assert drive() == 0
    assert {j.status for j in jobs()} == {Status.SUCCEEDED}
    assert all(j.result for j in jobs())


def test_a_changed_photo_selection_asks_to_check_the_estimate_again(admin_client, shop):
    response = run_action(
        admin_client,
        shop["shirts"],
        _tryon_step="confirm",
        model_photos=[shop["alex"].pk],
        provider="sandbox",
        _tryon_planned=f"{shop['alex'].pk},{shop['sam'].pk}",  # the page showed both
    )
    assert response.status_code == 200
    assert not TryOnJob.objects.exists()
    assert "check the new estimate" in " ".join(messages_of(response))
    assert len(response.context["plan"].aliases["sandbox"].jobs) == 2


def test_update_estimate_shows_the_new_selection(admin_client, shop):
    response = run_action(
        admin_client,
        shop["shirts"],
        _tryon_step="preview",
        model_photos=[shop["sam"].pk],
        provider="premium",
    )
    assert response.status_code == 200
    assert response.context["planned"] == str(shop["sam"].pk)
    assert response.context["selected"].alias == "premium"
    assert not TryOnJob.objects.exists()


def test_generating_from_the_garment_changelist(admin_client, shop):
    from django_tryon.models import Garment

    garments = list(Garment.objects.filter(category="upper_body"))
    response = confirm(admin_client, garments, [shop["sam"]], url=GARMENTS)
    assert response.status_code == 302
    assert TryOnJob.objects.filter(model_photo=shop["sam"]).count() == 2


def test_select_across_every_page(admin_client, shop):
    response = confirm(admin_client, shop["shirts"][:1], [shop["alex"]], select_across="1")
    assert response.status_code == 302
    # The skirt and both shirts suit Alex; the gift card has no garment.
    assert TryOnJob.objects.count() == 3


# Bad input ---------------------------------------------------------------------------------


def test_nothing_selected(admin_client, shop):
    response = admin_client.post(PRODUCTS, {"action": "generate_tryons", "index": 0}, follow=True)
    assert "Items must be selected" in " ".join(messages_of(response))
    assert not TryOnJob.objects.exists()


def test_only_products_without_garments(admin_client, shop):
    response = run_action(admin_client, [shop["bare"]], follow=True)
    assert response.redirect_chain  # back to the changelist
    assert "has no active garment" in " ".join(messages_of(response))
    assert not TryOnJob.objects.exists()


def test_products_without_garments_are_left_out_and_said_so(admin_client, shop):
    response = run_action(admin_client, [shop["bare"], shop["shirts"][0]])
    assert response.status_code == 200
    assert "1 selected product has no active garment and is left out." in response.content.decode()


def test_no_model_photo_suits_the_category(admin_client, shop):
    dress = add_product("Summer Dress", category="full_body", colour=5)
    shop["alex"].categories = "upper_body"
    shop["alex"].save()
    response = run_action(admin_client, [dress], follow=True)
    text = " ".join(messages_of(response))
    assert "No active model photo suits these garments (full body)" in text
    assert not TryOnJob.objects.exists()


def test_no_photo_ticked(admin_client, shop):
    response = run_action(
        admin_client, shop["shirts"], _tryon_step="confirm", provider="sandbox", _tryon_planned=""
    )
    assert response.status_code == 200
    assert "Choose at least one model photo." in response.content.decode()
    assert not TryOnJob.objects.exists()


def test_a_paused_alias_is_refused_with_the_reason(admin_client, shop):
    pause("premium", "The try-on account has run out of credits.")
    page = run_action(admin_client, shop["shirts"])
    assert "Paused: The try-on account has run out of credits." in page.content.decode()

    response = confirm(admin_client, shop["shirts"], [shop["alex"]], provider="premium")
    assert response.status_code == 200
    errors = response.context["form"].errors["provider"]
    assert errors == [
        "Sandbox (offline preview) (premium) is paused: The try-on account has run out of credits. "
        "Resume it from the try-on overview once the account is in order."
    ]
    assert not TryOnJob.objects.exists()


def test_an_unknown_alias_is_refused_with_the_reason(admin_client, shop):
    response = confirm(admin_client, shop["shirts"], [shop["alex"]], provider="nosuch")
    assert response.status_code == 200
    assert response.context["form"].errors["provider"] == ["Unknown try-on provider 'nosuch'."]
    assert not TryOnJob.objects.exists()


def test_everything_exists_already(admin_client, shop, drive):
    confirm(admin_client, shop["shirts"][:1], [shop["alex"]])
    drive()
    response = confirm(admin_client, shop["shirts"][:1], [shop["alex"]])
    assert response.status_code == 200
    assert "already exists or is being made" in " ".join(
        response.context["form"].non_field_errors()
    )
    assert TryOnJob.objects.count() == 1


def test_over_the_daily_budget(admin_client, shop, settings):
    settings.TRYON = {**settings.TRYON, "DAILY_CREDIT_BUDGET": 10}
    response = confirm(admin_client, shop["shirts"], [shop["alex"]], provider="premium")
    assert "budget is used up" in " ".join(response.context["form"].non_field_errors())
    assert not TryOnJob.objects.exists()


# Permissions -------------------------------------------------------------------------------


def test_staff_without_the_generate_permission_neither_sees_nor_runs_it(staff_client, shop):
    client = staff_client("catalog.view_product", "catalog.change_product")
    page = client.get(PRODUCTS)
    assert page.status_code == 200
    assert b"generate_tryons" not in page.content

    confirm(client, shop["shirts"], [shop["alex"]], follow=True)
    assert not TryOnJob.objects.exists()

    # With another action available, a forged post of this one is refused by name.
    client = staff_client("catalog.view_product", "catalog.delete_product")
    response = confirm(client, shop["shirts"], [shop["alex"]], follow=True)
    assert not TryOnJob.objects.exists()
    assert "No action selected." in " ".join(messages_of(response))


def test_staff_with_the_generate_permission_can(staff_client, shop):
    client = staff_client("catalog.view_product", "django_tryon.generate_tryonjob")
    assert b"generate_tryons" in client.get(PRODUCTS).content
    assert confirm(client, shop["shirts"], [shop["alex"]]).status_code == 302
    assert TryOnJob.objects.count() == 2


def test_product_changelist_of_unpublished_products_too(admin_client, shop):
    hidden = add_product("Secret Parka", colour=4)
    Product.objects.filter(pk=hidden.pk).update(is_published=False)
    assert confirm(admin_client, [hidden], [shop["alex"]]).status_code == 302


def test_the_page_renders_in_another_language(admin_client, shop):
    admin_client.cookies["django_language"] = "de"
    try:
        response = run_action(admin_client, shop["shirts"])
    finally:
        translation.deactivate()  # LocaleMiddleware leaves German active in this thread
    assert response.status_code == 200
    assert response.wsgi_request.LANGUAGE_CODE == "de"
