"""The merchant's flow in a real browser, on the example shop with a real qcluster.

Log in, select three products, "Generate try-ons", confirm, watch the batch finish, feature
a result and find it on the product page. Each step leaves a screenshot in tests/artifacts/
(admin-01-... to admin-10-...) for the docs.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.management import call_command

from django_tryon.models import Status, TryOnBatch, TryOnJob

PRODUCTS = ["Classic Oxford Shirt", "Breton Stripe Tee", "Slim Chinos"]
SHOWN_ON = "breton-tee"


@pytest.fixture
def demo_shop(site: Any) -> Any:
    """The example shop's own demo catalogue, admin user included (admin / admin)."""
    call_command("seed_demo", stdout=io.StringIO())
    return site


def shot(page: Any, artifacts: Any, name: str) -> None:
    """A full-page screenshot once every picture shown on the page has loaded.

    Pictures that aren't rendered (inside a closed try-on dialog, lazily loaded) never load
    and aren't in the screenshot, so they aren't waited for.
    """
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # wakes lazy images up
    page.wait_for_function(
        "[...document.images].filter(i => i.getClientRects().length).every(i => i.complete)",
        timeout=30_000,
    )
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts / f"admin-{name}.png"), full_page=True)


def test_generate_watch_and_feature(page: Any, demo_shop: Any, artifacts: Any) -> None:
    url = demo_shop.url
    page.set_viewport_size({"width": 1366, "height": 900})

    # 1. Log into the shop's admin.
    page.goto(f"{url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "admin")
    shot(page, artifacts, "01-login")
    page.click("input[type=submit]")
    page.wait_for_url(f"{url}/admin/")

    # 2. Select three products and run the action.
    page.goto(f"{url}/admin/catalog/product/")
    for name in PRODUCTS:
        row = page.locator("#result_list tbody tr", has_text=name)
        row.locator("input.action-select").check()
    page.select_option("select[name=action]", "generate_tryons")
    shot(page, artifacts, "02-products-selected")
    page.click("button[name=index]")

    # 3. The confirmation page: photos offered, estimate per provider. Confirm.
    page.wait_for_selector("#tryon-generate")
    summary = page.locator("#tryon-summary").inner_text()
    planned = int(re.match(r"(\d+) new try-ons", summary).group(1))
    assert planned >= 6, summary
    assert page.locator("#tryon-estimate tbody tr").count() >= 1
    shot(page, artifacts, "03-confirm")
    page.click("#tryon-confirm")

    # 4. The batch page fills in by itself, without reloading.
    page.wait_for_selector(".tryon-batch")
    assert page.locator(".tryon-card").count() == planned
    shot(page, artifacts, "04-batch-running")
    page.wait_for_selector("[data-finished]:not([hidden])", timeout=120_000)
    page.wait_for_function(
        f"document.querySelectorAll('.tryon-card[data-status=succeeded] img').length === {planned}"
    )
    page.wait_for_function(
        "[...document.querySelectorAll('.tryon-card img')].every(i => i.complete && i.naturalWidth)"
    )
    assert page.locator('[data-stat="succeeded"]').inner_text() == str(planned)
    shot(page, artifacts, "05-batch-finished")
    batch = TryOnBatch.objects.get()
    assert TryOnJob.objects.filter(batch=batch, status=Status.SUCCEEDED).count() == planned

    # 5. Open the results, feature one of the Breton tee's.
    page.click("text=See and feature the results")
    page.wait_for_selector("#result_list")
    shot(page, artifacts, "06-results")
    row = page.locator("#result_list tbody tr", has_text="Breton Stripe Tee").first
    row.locator("input.action-select").check()
    # The position box belongs to "Feature" alone: hidden until that action is chosen.
    assert page.locator("input.tryon-position").is_hidden()
    page.select_option("select[name=action]", "feature")
    assert page.locator("input.tryon-position").is_visible()
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist .success")
    assert "now shown on its product page" in page.locator(".messagelist").inner_text()
    shot(page, artifacts, "07-featured")
    featured = TryOnJob.objects.get(is_featured=True)
    assert featured.garment.product.slug == SHOWN_ON

    # The job's own page: inputs and result side by side, credits and timings.
    page.click(f"#result_list a:text-is('#{featured.pk}')")
    page.wait_for_selector(".tryon-compare")
    assert page.locator(".tryon-compare img").count() == 3
    shot(page, artifacts, "08-job")

    # The overview: 30 days of jobs and credits as inline SVG, the queue.
    page.click("text=Try-on jobs")
    page.click("text=Overview")
    page.wait_for_selector("svg.tryon-chart__svg")
    assert page.locator("svg.tryon-chart__svg").count() == 2
    shot(page, artifacts, "09-overview")

    # 6. There it is, on the product page.
    page.goto(f"{url}/products/{SHOWN_ON}/")
    gallery = page.locator(".gallery img")
    gallery.first.wait_for()
    assert gallery.count() == 1
    page.wait_for_function(
        "(() => { const i = document.querySelector('.gallery img'); return i.complete && i.naturalWidth > 0; })()"
    )
    gallery.first.scroll_into_view_if_needed()
    shot(page, artifacts, "10-product-page")
