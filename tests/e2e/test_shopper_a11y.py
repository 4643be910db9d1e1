"""axe-core on the product page: no serious or critical violations, dialog closed and open."""

from __future__ import annotations

import json

import pytest

from tests.e2e.shopper_support import (
    axe_audit,
    choose,
    open_shop,
    open_widget,
    person_photo,
    serious,
    wait_for_step,
)
from tests.e2e.test_shopper_gallery import featured_tryons


@pytest.fixture
def shop(site, settings):
    return open_shop(site, settings)


def check(page, artifacts, state: str) -> None:
    audit = axe_audit(page)
    (artifacts / f"shopper-axe-{state}.json").write_text(json.dumps(audit, indent=2))
    assert audit["passes"] > 10  # it really ran
    print(
        f"axe {audit['version']} ({state}): {audit['passes']} rules pass, "
        f"{len(audit['violations'])} minor/moderate findings"
    )
    assert serious(audit) == [], json.dumps(serious(audit), indent=2)


def test_axe_product_page(page, shop, artifacts, tmp_path):
    featured_tryons(shop.product, n=1)  # the gallery is on the page too
    page.emulate_media(reduced_motion="reduce")
    page.goto(shop.product_url)
    page.wait_for_selector(".tryon-gallery img")
    check(page, artifacts, "closed")

    open_widget(page)
    check(page, artifacts, "open")
    page.screenshot(path=str(artifacts / "shopper-16-axe-dialog-open.png"))

    choose(page, person_photo(tmp_path / "me.jpg"))
    page.wait_for_selector("[data-tryon-preview-box]:not([hidden])")
    page.get_by_role("button", name="Create my try-on").click()  # no consent: the error state
    page.get_by_role("alert").wait_for()
    check(page, artifacts, "error")

    page.get_by_label("I agree that my photo is sent").check()
    page.get_by_role("button", name="Create my try-on").click()
    wait_for_step(page, "result")
    page.wait_for_function("document.querySelector('[data-tryon-result]').naturalWidth > 0")
    check(page, artifacts, "result")
