"""Complete the look in Chromium: a top tried on, then trousers added, one picture of both.

Keyboard only from the result on, and axe-core clean in the new states; both garments
then go in the example shop's bag from the result, and from the result shown again after a
reload; and the same outfit made by each
provider emulator (Magic Hour, Change Clothes AI) instead of the sandbox.
"""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from django_tryon.models import Garment, Status
from django_tryon.testing.fixtures import changeclothes_emulator, magichour_emulator  # noqa: F401
from tests.cluster import wait_until
from tests.docs.support import read_snippet
from tests.e2e.shopper_support import (
    PROBE,
    axe_audit,
    choose,
    job_of,
    latest_token,
    make_product,
    open_shop,
    open_widget,
    person_photo,
    serious,
    wait_for_step,
)
from tests.e2e.test_shopper_cart import bag_rows, stored_events
from tests.providers.support import cc_alias, mh_alias, tryon


def trousers_picture() -> bytes:
    """Beige chinos, drawn."""
    image = Image.new("RGB", (600, 600), "white")
    ImageDraw.Draw(image).polygon(
        [(180, 40), (420, 40), (470, 560), (330, 560), (300, 200), (270, 560), (130, 560)],
        fill=(196, 170, 120),
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def outfit_shop(site, settings):
    """The shop with a top to try on (the Breton tee) and chinos to complete the look."""
    shop = open_shop(site, settings)
    chinos = make_product("Slim Chinos", "slim-chinos", garment=False)
    item = Garment(product=chinos, name="Slim Chinos", category="lower_body")
    item.image.save("chinos.png", ContentFile(trousers_picture()), save=False)
    item.save()
    shop.chinos = chinos
    return shop


@pytest.fixture
def shop(site, settings):
    return outfit_shop(site, settings)


def assert_outfit_shown(page, outfit) -> None:
    """The outfit job succeeded wearing the top and the chinos, and its picture is shown."""
    assert outfit.status == Status.SUCCEEDED, (outfit.error_code, outfit.error_message)
    assert [g.category for g in outfit.outfit_garments()] == ["upper_body", "lower_body"]
    src = page.locator("[data-tryon-result]").get_attribute("src")
    assert src.endswith(f"/jobs/{outfit.token}/result/")
    # Both categories are worn now: nothing more of them is offered.
    assert page.locator("[data-tryon-look]").is_hidden()


def no_serious_findings(page, artifacts, state):
    audit = axe_audit(page)
    (artifacts / f"shopper-axe-{state}.json").write_text(json.dumps(audit, indent=2))
    assert audit["passes"] > 10
    assert serious(audit) == [], json.dumps(serious(audit), indent=2)


def test_a_top_and_trousers_together_from_the_keyboard(page, shop, artifacts, tmp_path):
    page.add_init_script(PROBE)
    page.emulate_media(reduced_motion="reduce")
    page.goto(shop.product_url)
    open_widget(page)
    choose(page, person_photo(tmp_path / "me.jpg"))
    page.get_by_label("I agree that my photo is sent").check()
    page.get_by_role("button", name="Create my try-on").click()
    wait_for_step(page, "result")
    top = latest_token()

    look = page.get_by_role("button", name="Add Slim Chinos")
    assert page.get_by_role("heading", name="Complete the look").is_visible()
    no_serious_findings(page, artifacts, "complete-the-look")
    # Keyboard only: Tab until the offer has the focus, then Enter.
    for _ in range(12):
        if look.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    assert look.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    wait_for_step(page, "progress", timeout=5_000)
    wait_for_step(page, "result")
    page.wait_for_function("document.querySelector('[data-tryon-result]').naturalWidth > 0")
    page.screenshot(path=str(artifacts / "shopper-20-outfit-result.png"))

    outfit = job_of(latest_token())
    assert outfit.token != top
    assert_outfit_shown(page, outfit)
    events = [name for name, _ in page.evaluate("window.__tryon.events")]
    assert events.count("success") == 2
    no_serious_findings(page, artifacts, "outfit-result")


def top_then_chinos(page, shop, tmp_path) -> None:
    """Try the tee on, then "Add Slim Chinos" from the result, with the mouse."""
    page.goto(shop.product_url)
    open_widget(page)
    choose(page, person_photo(tmp_path / "me.jpg"))
    page.get_by_label("I agree that my photo is sent").check()
    page.get_by_role("button", name="Create my try-on").click()
    wait_for_step(page, "result")
    assert page.locator("[data-tryon-look-cart]").is_hidden()  # not worn yet
    page.get_by_role("button", name="Add Slim Chinos").click()
    wait_for_step(page, "progress", timeout=5_000)
    wait_for_step(page, "result", timeout=60_000)
    page.wait_for_function("document.querySelector('[data-tryon-result]').naturalWidth > 0")


def test_both_garments_of_the_outfit_go_in_the_bag_from_the_result(
    page, shop, settings, artifacts, tmp_path
):
    settings.TRYON = {
        **settings.TRYON,
        "ADD_TO_CART": {"URL": "catalog:bag_add", "FIELDS": {"quantity": "1"}},
    }
    # A shop with a cart of its own (the docs' listener), so both adds keep the page.
    page.add_init_script(read_snippet("widget/own_cart.js"))
    page.add_init_script(
        "window.__added = [];"
        "document.addEventListener('tryon:add_to_cart', e => window.__added.push(e.detail.product));"
        "document.addEventListener('cart:changed', () => { window.__changed = (window.__changed || 0) + 1; });"
    )
    top_then_chinos(page, shop, tmp_path)
    outfit = latest_token()

    assert page.locator("[data-tryon-look-cart]").count() == 1
    dialog = page.locator("[data-tryon-dialog]")
    add_chinos = dialog.get_by_role("button", name="Add Slim Chinos to bag")
    assert add_chinos.is_visible()
    no_serious_findings(page, artifacts, "outfit-add-to-bag")
    add_chinos.click()
    page.wait_for_function("window.__changed === 1")
    dialog.get_by_role("button", name="Add to bag", exact=True).click()
    page.wait_for_function("window.__changed === 2")

    tee, chinos = (f"catalog.product:{p.pk}" for p in (shop.product, shop.chinos))
    assert page.evaluate("window.__added") == [chinos, tee]
    added = [(product, job) for kind, product, job in stored_events() if kind == "add_to_cart"]
    assert wait_until(
        lambda: (
            sorted((p, j) for k, p, j in stored_events() if k == "add_to_cart")
            == sorted([(chinos, outfit), (tee, outfit)])
        ),
        10,
    ), added
    page.goto(f"{shop.url}/bag/")
    assert sorted(bag_rows(page)) == ["Breton Stripe Tee", "Slim Chinos"]


def test_after_a_reload_each_garment_of_the_outfit_still_goes_in_the_bag(
    page, shop, settings, tmp_path
):
    settings.TRYON = {
        **settings.TRYON,
        "ADD_TO_CART": {"URL": "catalog:bag_add", "FIELDS": {"quantity": "1"}},
    }
    top_then_chinos(page, shop, tmp_path)
    outfit = latest_token()

    def reloaded_result():
        open_widget(page)
        wait_for_step(page, "result")
        page.wait_for_function("document.querySelector('[data-tryon-result]').naturalWidth > 0")
        src = page.locator("[data-tryon-result]").get_attribute("src")
        assert src.endswith(f"/jobs/{outfit}/result/")  # the outfit, not the tee alone
        return page.locator("[data-tryon-dialog]")

    page.reload()
    dialog = reloaded_result()
    add_chinos = dialog.get_by_role("button", name="Add Slim Chinos to bag")
    add_tee = dialog.get_by_role("button", name="Add to bag", exact=True)
    assert add_chinos.is_visible() and add_tee.is_visible()  # one control per garment
    assert page.locator("[data-tryon-look]").is_hidden()  # both categories are worn
    add_chinos.click()
    page.wait_for_url("**/bag/")
    assert bag_rows(page) == ["Slim Chinos"]

    page.goto(shop.product_url)  # back to the tee: the outfit again, the tee's own form
    reloaded_result().get_by_role("button", name="Add to bag", exact=True).click()
    page.wait_for_url("**/bag/")
    assert sorted(bag_rows(page)) == ["Breton Stripe Tee", "Slim Chinos"]
    tee, chinos = (f"catalog.product:{p.pk}" for p in (shop.product, shop.chinos))
    assert wait_until(
        lambda: (
            sorted((p, j) for k, p, j in stored_events() if k == "add_to_cart")
            == sorted([(chinos, outfit), (tee, outfit)])
        ),
        10,
    )


EMULATED = {"magichour": mh_alias, "changeclothes": cc_alias}


@pytest.fixture(params=list(EMULATED))
def emulated_shop(request, qcluster, live_server, settings):
    """The outfit shop whose cluster calls a provider emulator instead of the sandbox."""
    provider = request.param
    emulator = request.getfixturevalue(f"{provider}_emulator")
    emulator.latency = 0.3
    options = {"FIRST_POLL_AFTER": 0.2} if provider == "magichour" else {"TIMEOUT": 25}
    alias = EMULATED[provider](emulator, **options)
    cluster = qcluster(tryon=tryon({provider: alias}, provider, POLL_INTERVAL=0.2))
    site = SimpleNamespace(url=live_server.url, cluster=cluster)
    shop = outfit_shop(site, settings)
    shop.provider = provider
    return shop


def test_a_top_and_trousers_together_on_each_provider_emulator(page, emulated_shop, tmp_path):
    top_then_chinos(page, emulated_shop, tmp_path)
    outfit = job_of(latest_token())
    assert outfit.provider == emulated_shop.provider
    assert_outfit_shown(page, outfit)


def test_complete_the_look_on_a_phone(browser, shop, artifacts, tmp_path):
    from tests.e2e.test_shopper_flow import MOBILE

    context = browser.new_context(**MOBILE)
    page = context.new_page()
    page.goto(shop.product_url)
    page.get_by_role("button", name="Try it on").tap()
    page.wait_for_selector("[data-tryon-dialog][open]")
    choose(page, person_photo(tmp_path / "me.jpg"))
    page.get_by_label("I agree that my photo is sent").tap()
    page.get_by_role("button", name="Create my try-on").tap()
    wait_for_step(page, "result")
    look = page.get_by_role("button", name="Add Slim Chinos")
    look.scroll_into_view_if_needed()
    box = look.bounding_box()
    width = MOBILE["viewport"]["width"]
    assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll
    look.tap()
    wait_for_step(page, "progress", timeout=5_000)
    wait_for_step(page, "result", timeout=60_000)
    page.wait_for_function("document.querySelector('[data-tryon-result]').naturalWidth > 0")
    assert [g.category for g in job_of(latest_token()).outfit_garments()] == [
        "upper_body",
        "lower_body",
    ]
    page.screenshot(path=str(artifacts / "shopper-outfit-mobile.png"))
    context.close()
