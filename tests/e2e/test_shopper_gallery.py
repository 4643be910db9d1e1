"""The gallery of featured try-ons, and several widgets living on one page."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from django_tryon.models import ModelPhoto, Source, Status, TryOnJob
from django_tryon.services.jobs import _request_tryon  # shopper plumbing: source, owner
from tests.e2e.shopper_support import (
    make_product,
    open_shop,
    wait_for_status,
)
from tests.fixtures import make_image


@pytest.fixture
def shop(site, settings):
    return open_shop(site, settings)


def featured_tryons(product, n: int = 2) -> list[TryOnJob]:
    """Merchant try-ons made by the real cluster, then featured (as the admin would)."""
    from django.core.files.base import ContentFile

    garment = product.garments.first() if hasattr(product, "garments") else None
    from django_tryon.models import Garment

    garment = garment or Garment.objects.for_product(product).get()
    jobs = []
    for i in range(n):
        model = ModelPhoto(name=f"Model {i}")
        model.image.save(
            "m.jpg",
            ContentFile(make_image((768, 1024), color=(150 + i * 30, 120, 100))),
            save=False,
        )
        model.save()
        jobs.append(_request_tryon(garment, model, source=Source.ADMIN))
    for order, job in enumerate(jobs):
        assert wait_for_status(job.token, Status.SUCCEEDED, timeout=30)
        TryOnJob.objects.filter(pk=job.pk).update(is_featured=True, featured_order=order)
    return jobs


def test_gallery_shows_featured_results(page, shop, artifacts):
    jobs = featured_tryons(shop.product)
    # A shopper's own try-on is never shown, featured or not.
    page.goto(shop.product_url)
    gallery = page.locator(".tryon-gallery")
    assert gallery.get_by_role("heading", name="Seen on our models").is_visible()
    images = gallery.get_by_role("img")
    assert images.count() == 2
    for i in range(2):
        image = images.nth(i)
        image.scroll_into_view_if_needed()
        assert image.get_attribute("loading") == "lazy"
        assert image.get_attribute("alt") == "Breton Stripe Tee worn by one of our models"
        assert jobs[i].token in image.get_attribute("src")
        assert "320w" in image.get_attribute("srcset")
    page.wait_for_function(
        "[...document.querySelectorAll('.tryon-gallery img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    page.locator(".tryon-gallery").screenshot(path=str(artifacts / "shopper-15-gallery.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(200)
    widths = page.evaluate(
        "[...document.querySelectorAll('.tryon-gallery img')].map(i => i.clientWidth)"
    )
    assert all(0 < w <= 195 for w in widths), widths  # two to a row on a phone


def test_several_widgets_on_one_page(page, shop):
    second = make_product("Oxford Shirt", "oxford-shirt")
    page.goto(shop.product_url)  # a session, a CSRF cookie and the static files' origin
    html = Template(
        "{% load tryon %}<!doctype html><html lang='en'><head><title>Two</title></head><body><main>"
        "<h1>Two products</h1>{% tryon_widget a %}{% tryon_widget b %}</main></body></html>"
    ).render(Context({"a": shop.product, "b": second}))
    page.route(f"{shop.url}/two/", lambda route: route.fulfill(body=html, content_type="text/html"))
    page.goto(f"{shop.url}/two/")
    buttons = page.get_by_role("button", name="Try it on")
    assert buttons.count() == 2
    assert page.evaluate("window.DjangoTryOn.instances.length") == 2
    buttons.nth(1).click()
    page.wait_for_timeout(250)
    assert page.get_by_role("dialog", name="Try on Oxford Shirt").is_visible()
    assert not page.get_by_role("dialog", name="Try on Breton Stripe Tee").is_visible()
    page.keyboard.press("Escape")
    assert page.evaluate(
        "document.activeElement === document.querySelectorAll('[data-tryon-open]')[1]"
    )
    buttons.nth(0).click()  # the first one opens its own dialog
    page.wait_for_timeout(250)
    assert page.get_by_role("dialog", name="Try on Breton Stripe Tee").is_visible()


def test_one_global_and_no_button_without_javascript(browser, shop):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(shop.product_url)
    assert page.locator("[data-tryon-open]").count() == 1
    assert not page.locator("[data-tryon-open]").is_visible()  # hidden, not broken
    context.close()

    context = browser.new_context()
    page = context.new_page()
    page.goto(shop.url + "/static/django_tryon/tryon.css")  # same origin, nothing else on the page
    before = set(page.evaluate("Object.keys(window)"))
    page.add_script_tag(url=shop.url + "/static/django_tryon/tryon.js")
    after = set(page.evaluate("Object.keys(window)"))
    assert after - before == {"DjangoTryOn"}
    context.close()
