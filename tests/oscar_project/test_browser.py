"""Oscar's product page and dashboard in Chromium, on Oscar's own Bootstrap theme; the
screenshots of the django-oscar docs page are taken here (docs/img/oscar-*.png), and copied
there only when asked: ``UPDATE_DOCS_IMAGES=1`` (a test run never edits a tracked file)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from tests.e2e.theme_support import check_widget_holds_its_own
from tests.fixtures import make_image

from .test_dashboard import ALL, tryon_url

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop, see tests/e2e
pytestmark = pytest.mark.browser

DOCS_IMG = Path(__file__).resolve().parent.parent.parent / "docs" / "img"
UPDATE_DOCS_IMAGES = os.environ.get("UPDATE_DOCS_IMAGES") == "1"


def snapshot(page, artifacts: Path, name: str, selector: str | None = None) -> None:
    """A screenshot in tests/artifacts/ (and in the docs' images with UPDATE_DOCS_IMAGES=1)."""
    path = artifacts / name
    (page.locator(selector) if selector else page).screenshot(path=str(path))
    if UPDATE_DOCS_IMAGES:
        shutil.copyfile(path, DOCS_IMG / name)


def log_in(page, live_server, staff_client) -> None:
    client = staff_client(*ALL)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


def test_the_widget_on_oscars_product_page(page, live_server, catalogue, artifacts):
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(live_server.url + catalogue["shirt"].get_absolute_url())
    assert page.title().startswith("Oxford Shirt")
    # Oscar's own Bootstrap 4 theme is on the page, and doesn't reach into the widget.
    assert page.eval_on_selector("link[href*='oscar/css/styles.css']", "el => !!el.sheet")
    snapshot(page, artifacts, "oscar-product.png", "article.product_page")
    check_widget_holds_its_own(page)


def test_the_try_on_section_of_the_dashboard(page, live_server, catalogue, staff_client, artifacts):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, staff_client)
    shirt = catalogue["shirt"]
    page.goto(live_server.url + reverse("dashboard:catalogue-product", args=[shirt.pk]))
    page.click("a[href='#tryon']")
    page.wait_for_selector("#tryon", state="visible")
    assert "Oxford Shirt" in page.inner_text("#tryon")
    snapshot(page, artifacts, "oscar-dashboard-product.png")
    # The navigation's Try-on menu, and the confirmation page of "Generate try-ons".
    assert page.locator(f"a[href='{tryon_url('tryon-jobs')}']").count() == 1
    page.goto(f"{live_server.url}{tryon_url('tryon-generate')}?product={shirt.pk}")
    assert page.get_attribute("#tryon-estimate tr:has(:checked)", "data-jobs") == "1"
    # The admin's generate.js: the summary follows the chosen provider, and changing the
    # model photos marks the estimate out of date until it is updated.
    chosen = page.get_attribute("#tryon-estimate tr:has(:checked)", "data-summary")
    assert chosen.startswith("1 new try-on, about ") and page.inner_text("#tryon-summary") == chosen
    snapshot(page, artifacts, "oscar-generate.png")
    page.uncheck("input[name=model_photos]")
    assert page.locator(".tryon-stale-note").is_visible()
    assert page.is_disabled("#tryon-confirm")
    page.check("input[name=model_photos]")
    page.click("button[value=preview]")
    assert page.locator(".tryon-stale-note").is_hidden() and page.is_enabled("#tryon-confirm")


def test_the_batch_page_follows_the_batch_without_reloading(
    page, live_server, catalogue, staff_client, artifacts
):
    from django_tryon.models import Status

    from .test_dashboard import add_batch

    batch = add_batch(catalogue, Status.PENDING, Status.RUNNING)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, staff_client)
    page.goto(live_server.url + tryon_url("tryon-batch", batch.pk))
    assert page.inner_text("[data-stat=done]") == "0"
    assert page.locator("[data-finished]").is_hidden()
    page.evaluate("window.tryonSamePage = true")  # gone if the page reloads
    first, second = batch.jobs.order_by("pk")
    second.status, second.error_message = Status.FAILED, "Provider said no"
    second.save()
    first.status = Status.SUCCEEDED
    first.result.save("result.jpg", ContentFile(make_image()), save=False)
    first.save()
    page.wait_for_function("document.querySelector('[data-stat=done]').textContent === '2'")
    assert page.evaluate("window.tryonSamePage") is True
    assert page.inner_text("[data-stat=succeeded]") == "1"
    assert page.inner_text("[data-stat=failed]") == "1"
    assert page.get_attribute("[data-bar=succeeded]", "width") == "50.000"
    assert page.get_attribute("[data-bar=failed]", "x") == "50.000"
    assert page.locator("[data-finished]").is_visible()
    assert page.locator("[data-when-failed]").is_visible()
    card = page.locator(f"[data-job='{second.pk}']")
    assert card.get_attribute("data-status") == Status.FAILED
    assert card.locator("[data-error]").inner_text() == "Provider said no"
    result = tryon_url("tryon-image", "result", first.pk)
    assert page.get_attribute(f"[data-job='{first.pk}'] [data-result] img", "src") == result
    page.wait_for_function("document.querySelector('[data-result] img').complete")
    page.wait_for_timeout(500)  # the bar's segments glide to their new widths
    snapshot(page, artifacts, "oscar-batch.png")
