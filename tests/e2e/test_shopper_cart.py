"""Add to bag from the try-on result, in Chromium, on the example shop: the shop's own form
under the result puts the product in the shop's bag; the DOM event and the dataLayer push
happen; the widget's events leave the page and are stored; keyboard only and on a phone;
then checkout.

A live shop with a real qcluster and the sandbox provider (about a second per job).
"""

from __future__ import annotations

import json

import pytest

from tests.cluster import wait_until
from tests.docs.support import read_snippet
from tests.e2e.shopper_support import (
    axe_audit,
    choose,
    latest_token,
    open_shop,
    person_photo,
    wait_for_step,
)
from tests.e2e.test_shopper_flow import MOBILE, press_for_file_chooser

EVENTS_PATH = "/tryon/events/"

# What happened before the page was left: kept in sessionStorage, which survives the
# navigation that adding to the bag is (the shop's form is an ordinary post).
LOG = """
window.dataLayer = [];
const keep = (entry) => {
  const all = JSON.parse(sessionStorage.getItem("tryon-log") || "[]");
  all.push(entry);
  sessionStorage.setItem("tryon-log", JSON.stringify(all));
};
document.addEventListener("tryon:add_to_cart", (e) => keep({dom: e.detail, cancelable: e.cancelable}));
const push = window.dataLayer.push.bind(window.dataLayer);
window.dataLayer.push = (entry) => { keep({layer: entry}); return push(entry); };
"""


@pytest.fixture
def shop(site, settings):
    settings.TRYON = {
        **settings.TRYON,
        "ADD_TO_CART": {"URL": "catalog:bag_add", "FIELDS": {"quantity": "1"}},
    }
    return open_shop(site, settings)


def sent_events(page) -> tuple[list[dict], list[int]]:
    """Every event batch the page sends to the endpoint, as sent, with its headers; and the
    endpoint's answers (a batch sent as the page is left is answered after it is gone, and
    Playwright reports no answer for it: the stored rows show it arrived)."""
    batches: list[dict] = []
    answers: list[int] = []

    def on_request(request) -> None:
        if request.url.endswith(EVENTS_PATH) and request.method == "POST":
            batches.append({"body": json.loads(request.post_data), "headers": request.headers})

    def on_response(response) -> None:
        if response.url.endswith(EVENTS_PATH):
            answers.append(response.status)

    page.on("request", on_request)
    page.on("response", on_response)
    return batches, answers


def stored_events() -> list[tuple[str, str, str | None]]:
    """The events the server kept: (type, product key, job token), oldest first."""
    from django_tryon.models import ShopperEvent

    rows = ShopperEvent.objects.order_by("created_at", "pk").select_related("content_type")
    return [
        (
            row.kind,
            f"{row.content_type.app_label}.{row.content_type.model}:{row.object_id}",
            row.job.token if row.job else None,
        )
        for row in rows
    ]


def try_on(page, shop, photo, tap: bool = False) -> None:
    click = "tap" if tap else "click"
    getattr(page.get_by_role("button", name="Try it on"), click)()
    page.wait_for_selector("[data-tryon-dialog][open]")
    page.wait_for_timeout(250)
    choose(page, photo, nth=1 if tap else 0)
    page.wait_for_selector("[data-tryon-preview-box]:not([hidden])")
    getattr(page.get_by_label("I agree that my photo is sent"), click)()
    getattr(page.get_by_role("button", name="Create my try-on"), click)()
    wait_for_step(page, "result")
    page.wait_for_function("document.querySelector('[data-tryon-result]').naturalWidth > 0")


def no_violations(page, artifacts, state: str) -> None:
    audit = axe_audit(page)
    (artifacts / f"shopper-axe-{state}.json").write_text(json.dumps(audit, indent=2))
    assert audit["passes"] > 10  # it really ran
    assert audit["violations"] == [], json.dumps(audit["violations"], indent=2)


def bag_rows(page) -> list[str]:
    return page.locator("table.bag tbody th").all_inner_texts()


def test_add_to_bag_from_the_result_then_check_out(page, shop, artifacts, tmp_path):
    from catalog.models import Order

    batches, answers = sent_events(page)
    page.add_init_script(LOG)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(reduced_motion="reduce")
    page.goto(shop.product_url)
    try_on(page, shop, person_photo(tmp_path / "me.jpg"))
    token = latest_token()
    dialog = page.get_by_role("dialog", name="Try on Breton Stripe Tee")
    add = dialog.get_by_role("button", name="Add to bag")
    assert add.is_visible()
    page.screenshot(path=str(artifacts / "shopper-20-result-add-to-bag.png"))
    no_violations(page, artifacts, "result-add-to-bag")

    add.click()
    page.wait_for_url("**/bag/")
    assert page.get_by_role("status").inner_text() == "Breton Stripe Tee is in your bag."
    assert bag_rows(page) == ["Breton Stripe Tee"]
    assert page.locator("table.bag input[name=quantity]").input_value() == "1"
    page.screenshot(path=str(artifacts / "shopper-21-bag.png"), full_page=True)
    no_violations(page, artifacts, "bag")

    # The page's own DOM event (with the job) and the analytics push (without it).
    log = page.evaluate("JSON.parse(sessionStorage.getItem('tryon-log'))")
    (dom,) = [entry for entry in log if "dom" in entry]
    product = f"catalog.product:{shop.product.pk}"
    assert dom["dom"]["product"] == product and dom["dom"]["job"] == token and dom["cancelable"]
    pushed = [entry["layer"] for entry in log if "layer" in entry]
    assert pushed[-1]["event"] == "tryon:add_to_cart"
    assert pushed[-1]["tryon"]["product"] == product
    assert "job" not in pushed[-1]["tryon"] and "token" not in pushed[-1]["tryon"]

    # The widget's events, batched, with the CSRF token, left the page before it did.
    events = [event for batch in batches for event in batch["body"]["events"]]
    assert [event["type"] for event in events] == ["view", "open", "result", "add_to_cart"]
    assert {event["product"] for event in events} == {product}
    assert [event["job"] for event in events] == [None, None, token, token]
    assert len(batches) <= 3  # view/open/result share batches; add_to_cart is sent at once
    assert all(batch["headers"]["x-csrftoken"] for batch in batches)
    assert all(batch["headers"]["content-type"] == "application/json" for batch in batches)

    # ...and the server stored them, for the conversion report.
    kept = [(event["type"], product, event["job"]) for event in events]
    assert wait_until(lambda: sorted(stored_events(), key=str) == sorted(kept, key=str), 10)
    assert answers and all(status == 204 for status in answers), answers

    # One page of checkout; the order is the shop's own.
    page.get_by_role("link", name="Check out").click()
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    no_violations(page, artifacts, "checkout")
    page.get_by_role("button", name="Place order").click()
    page.wait_for_selector("text=Thank you, Ada Lovelace")
    order = Order.objects.get()
    assert page.locator(".order-number").inner_text() == order.number
    assert [(line.product, line.quantity) for line in order.lines.all()] == [(shop.product, 1)]
    assert page.locator("header").get_by_role("link", name="Bag").inner_text() == "Bag"


def test_a_shop_with_a_cart_of_its_own_adds_without_leaving_the_page(page, shop, tmp_path):
    # The docs' listener (docs/snippets/widget/own_cart.js): preventDefault, its own fetch.
    page.add_init_script(read_snippet("widget/own_cart.js"))
    page.add_init_script(
        "document.addEventListener('cart:changed', () => { window.__changed = 1; })"
    )
    page.goto(shop.product_url)
    try_on(page, shop, person_photo(tmp_path / "me.jpg"))
    page.locator("[data-tryon-dialog]").get_by_role("button", name="Add to bag").click()
    page.wait_for_function("window.__changed")
    assert page.url == shop.product_url and page.locator("[data-tryon-dialog][open]").is_visible()
    page.goto(f"{shop.url}/bag/")
    assert bag_rows(page) == ["Breton Stripe Tee"]


def test_add_to_bag_with_the_keyboard_only(page, shop, tmp_path):
    photo = person_photo(tmp_path / "me.jpg")
    page.goto(shop.product_url)
    page.evaluate("document.activeElement.blur()")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.hasAttribute('data-tryon-open')"):
            break
    else:
        pytest.fail("Try it on is not reachable with Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-tryon-dialog][open]")
    press_for_file_chooser(page, "Space").set_files(str(photo))
    page.wait_for_selector("[data-tryon-preview-box]:not([hidden])")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # consent
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Create my try-on
    wait_for_step(page, "result")
    focused = "document.activeElement"
    assert page.evaluate(f"{focused}.matches('[data-step=result] [data-tryon-focus]')")
    # The first control after the result's heading is the shop's "Add to bag".
    page.keyboard.press("Tab")
    assert page.evaluate(f"{focused}.closest('[data-tryon-cart]') !== null")
    assert page.evaluate(f"{focused}.textContent") == "Add to bag"
    page.keyboard.press("Enter")
    page.wait_for_url("**/bag/")
    assert bag_rows(page) == ["Breton Stripe Tee"]


def test_add_to_bag_on_a_phone(browser, shop, artifacts, tmp_path):
    context = browser.new_context(**MOBILE)
    page = context.new_page()
    page.goto(shop.product_url)
    try_on(page, shop, person_photo(tmp_path / "selfie.jpg"), tap=True)
    add = page.locator("[data-tryon-dialog]").get_by_role("button", name="Add to bag")
    dialog = page.locator(".tryon-dialog").bounding_box()
    box = add.bounding_box()
    assert box["height"] >= 44 and box["width"] >= dialog["width"] - 2 * 16 - 1  # full width
    page.screenshot(path=str(artifacts / "shopper-22-mobile-add-to-bag.png"))
    add.tap()
    page.wait_for_url("**/bag/")
    assert bag_rows(page) == ["Breton Stripe Tee"]
    # The bag and the checkout fit the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts / "shopper-23-mobile-bag.png"), full_page=True)
    page.get_by_role("link", name="Check out").tap()
    page.wait_for_url("**/checkout/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts / "shopper-24-mobile-checkout.png"), full_page=True)
    context.close()
