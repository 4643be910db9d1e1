"""Add to basket from a try-on result on Oscar's own product page, in Chromium, with a real
qcluster and the sandbox provider: the product lands in Oscar's basket."""

from __future__ import annotations

import os

import pytest
from django.urls import reverse

from tests.e2e.shopper_support import choose, person_photo, wait_for_step
from tests.e2e.test_shopper_cart import no_violations

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop, see tests/e2e
pytestmark = pytest.mark.browser

SANDBOX = {"BACKEND": "django_tryon.providers.sandbox.SandboxProvider", "LATENCY": 1.0}


def test_add_to_basket_from_the_result(qcluster, live_server, catalogue, page, artifacts, tmp_path):
    qcluster(tryon={"PROVIDERS": {"sandbox": SANDBOX}})
    page.set_viewport_size({"width": 1200, "height": 900})
    page.emulate_media(reduced_motion="reduce")
    page.goto(live_server.url + catalogue["shirt"].get_absolute_url())
    page.get_by_role("button", name="Try it on").click()
    page.wait_for_selector("[data-tryon-dialog][open]")
    choose(page, person_photo(tmp_path / "me.jpg"))
    page.wait_for_selector("[data-tryon-preview-box]:not([hidden])")
    page.get_by_label("I agree that my photo is sent").check()
    page.get_by_role("button", name="Create my try-on").click()
    wait_for_step(page, "result")
    page.wait_for_function("document.querySelector('[data-tryon-result]').naturalWidth > 0")
    add = page.locator("[data-tryon-dialog]").get_by_role("button", name="Add to cart")
    assert add.is_visible()  # Oscar's words, as its own button says
    page.screenshot(path=str(artifacts / "oscar-result-add-to-basket.png"))
    no_violations(page, artifacts, "oscar-result-add-to-basket")

    add.click()
    page.wait_for_load_state()
    page.goto(live_server.url + reverse("basket:summary"))
    assert "Oxford Shirt" in page.locator("#content_inner").inner_text()
