"""The shopper's visit in a real browser: one photo for every product, the result kept over
a reload, guidance by category, and "Delete my photo now" leaving nothing in storage
(local files and S3). Desktop, keyboard only and phone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from django_tryon.models import Garment, ShopperPhoto, Status, TryOnJob
from django_tryon.storage import private_storage
from tests.e2e.shopper_support import (
    PROBE,
    choose,
    events,
    garment_picture,
    make_product,
    open_shop,
    open_widget,
    person_photo,
    wait_for_step,
)
from tests.e2e.test_shopper_a11y import check
from tests.e2e.test_shopper_flow import MOBILE

GUIDANCE = {
    "upper_body": "upper body visible",
    "lower_body": "from the waist down to your feet",
    "full_body": "full-length photo of you standing",
}


@pytest.fixture
def shop(site, settings):
    return open_shop(site, settings)


def audited(page: Any, artifacts: Any, state: str) -> None:
    """axe-core in this state: not a single violation, of any impact."""
    check(page, artifacts, state)
    audit = json.loads((artifacts / f"shopper-axe-{state}.json").read_text())
    assert audit["violations"] == [], audit["violations"]


def product_with(name: str, slug: str, category: str) -> Any:
    product = make_product(name, slug, garment=False)
    garment = Garment(product=product, name=name, category=category)
    garment.image.save("garment.png", ContentFile(garment_picture()), save=False)
    garment.save()
    return product


@pytest.fixture
def more(shop) -> SimpleProducts:
    return SimpleProducts(shop)


class SimpleProducts:
    """Trousers (lower body) and a dress (full body) next to the shop's tee (upper body)."""

    def __init__(self, shop: Any) -> None:
        self.trousers = product_with("Wide Trousers", "wide-trousers", "lower_body")
        self.dress = product_with("Linen Dress", "linen-dress", "full_body")
        self.urls = {
            "upper_body": shop.product_url,
            "lower_body": f"{shop.url}/products/{self.trousers.slug}/",
            "full_body": f"{shop.url}/products/{self.dress.slug}/",
        }


@contextmanager
def uploads_counted() -> Iterator[list[bool]]:
    """One entry per try-on the server accepts: True when it came with an upload."""
    from django_tryon import signals

    seen: list[bool] = []

    def receiver(sender: Any, job: Any, request: Any, **kwargs: Any) -> None:
        seen.append("photo" in request.FILES)

    signals.shopper_job_requested.connect(receiver, weak=False)
    try:
        yield seen
    finally:
        signals.shopper_job_requested.disconnect(receiver)


def stored_names() -> set[str]:
    """Every file in the private storage (job files and the visit's photos)."""
    storage, found = private_storage(), set()

    def walk(folder: str) -> None:
        try:
            dirs, files = storage.listdir(folder)
        except FileNotFoundError:
            return
        found.update(f"{folder}/{f}" for f in files)
        for d in dirs:
            walk(f"{folder}/{d}")

    walk("tryon")
    return found


def upload_first(page: Any, url: str, tmp_path: Any, *, tap: bool = False) -> None:
    page.goto(url)
    if tap:
        page.get_by_role("button", name="Try it on").tap()
        page.wait_for_selector("[data-tryon-dialog][open]")
    else:
        open_widget(page)
    choose(page, person_photo(tmp_path / "me.jpg"), nth=1 if tap else 0)
    page.wait_for_selector("[data-tryon-preview-box]:not([hidden])")
    consent = page.get_by_label("I agree that my photo is sent")
    consent.tap() if tap else consent.check()
    create = page.get_by_role("button", name="Create my try-on")
    create.tap() if tap else create.click()
    wait_for_step(page, "result")


def offered(page: Any) -> Any:
    use = page.get_by_role("button", name="Use my photo")
    use.wait_for()
    page.wait_for_function("document.querySelector('[data-tryon-use-thumb]').naturalWidth > 0")
    # The thumbnail, not the full photo shrunk by CSS: its width, in far fewer bytes.
    photo = ShopperPhoto.objects.latest("created_at")
    with private_storage().open(photo.thumbnail_name, "rb") as handle:
        width, height = Image.open(handle).size
    natural = page.evaluate(
        "(() => { const i = document.querySelector('[data-tryon-use-thumb]');"
        " return [i.naturalWidth, i.naturalHeight]; })()"
    )
    assert natural == [width, height] and max(natural) == 160
    assert photo.image_width > width
    return use


def result_shown(page: Any) -> None:
    wait_for_step(page, "result")
    page.wait_for_function("document.querySelector('[data-tryon-result]').naturalWidth > 0")


def test_three_products_tried_on_with_one_upload(page, shop, more, artifacts, tmp_path):
    page.add_init_script(PROBE)
    page.set_viewport_size({"width": 1280, "height": 900})
    with uploads_counted() as uploads:
        page.goto(shop.product_url)
        open_widget(page)
        assert GUIDANCE["upper_body"] in page.locator(".tryon-intro").text_content()
        assert page.locator("[data-tryon-use]").is_hidden()  # nothing to reuse yet
        page.keyboard.press("Escape")
        upload_first(page, shop.product_url, tmp_path)

        for category in ("lower_body", "full_body"):
            page.goto(more.urls[category])
            open_widget(page)
            use = offered(page)
            # Guidance by category: the text and the example picture ask for what it needs.
            assert GUIDANCE[category] in page.locator(".tryon-intro").text_content()
            example = page.locator(".tryon-example").get_attribute("aria-label")
            assert ("head to feet" if category == "full_body" else "waist") in example
            label = page.locator("[data-tryon-choose-label]").text_content()
            assert label == "Choose another photo"  # the other choice, next to it
            page.wait_for_function("document.activeElement.matches('[data-tryon-use]')")
            page.screenshot(path=str(artifacts / f"shopper-visit-{category}-offer.png"))
            if category == "lower_body":
                audited(page, artifacts, "visit-offer")
            use.click()
            result_shown(page)
            assert events(page) == ["open", "submit", "success"]
            submitted = page.evaluate("window.__tryon.events[1][1]")
            assert submitted["reused"] is True  # analytics can tell a reuse from an upload
    assert uploads == [True, False, False]  # ONE upload for three try-ons

    jobs = list(TryOnJob.objects.order_by("created_at"))
    assert [j.garment.category for j in jobs] == ["upper_body", "lower_body", "full_body"]
    assert all(j.status == Status.SUCCEEDED for j in jobs)
    assert len({j.shopper_photo_id for j in jobs}) == 1 and ShopperPhoto.objects.count() == 1
    assert all(j.consent_version == "1" and j.consented_at for j in jobs)


def test_a_reload_keeps_the_result(page, shop, artifacts, tmp_path):
    page.add_init_script(PROBE)
    upload_first(page, shop.product_url, tmp_path)
    token = TryOnJob.objects.get().token

    page.reload()
    open_widget(page)
    result_shown(page)
    assert (
        page.locator("[data-tryon-download]")
        .get_attribute("href")
        .endswith(f"/tryon/jobs/{token}/result/?download=1")
    )
    for name in ("Download", "Try another photo", "Delete my photo now"):
        assert (
            page.get_by_role("button", name=name)
            .or_(page.get_by_role("link", name=name))
            .is_visible()
        )
    assert events(page) == ["open"]  # shown again, not a new success
    page.screenshot(path=str(artifacts / "shopper-visit-reloaded.png"))
    audited(page, artifacts, "visit-reloaded")

    # From there, another try-on of the same product with the same photo.
    page.get_by_role("button", name="Try another photo").click()
    wait_for_step(page, "choose")
    offered(page).click()
    result_shown(page)
    assert TryOnJob.objects.count() == 2 and ShopperPhoto.objects.count() == 1


def delete_everything(page: Any, shop: Any, more: Any, tmp_path: Any) -> None:
    upload_first(page, shop.product_url, tmp_path)
    page.goto(more.urls["lower_body"])
    open_widget(page)
    offered(page).click()
    result_shown(page)
    stored = stored_names()
    photo = ShopperPhoto.objects.get()
    results = {j.result.name for j in TryOnJob.objects.all()}
    assert {photo.image.name, photo.thumbnail_name, *results} <= stored and len(results) == 2

    page.get_by_role("button", name="Delete my photo now").click()
    wait_for_step(page, "deleted")
    # The photo and every result made from it, in storage, at once.
    assert not ShopperPhoto.objects.exists() and not TryOnJob.objects.exists()
    assert not stored_names() & stored
    assert stored_names() == set()

    page.goto(shop.product_url)  # the first product: no result, no photo to offer
    open_widget(page)
    page.wait_for_timeout(500)
    assert page.locator("[data-step=choose]").is_visible()
    assert page.locator("[data-tryon-use]").is_hidden()


def test_delete_my_photo_now_leaves_nothing_in_storage(page, shop, more, tmp_path):
    delete_everything(page, shop, more, tmp_path)


@pytest.fixture
def s3_shop(qcluster, s3_storage, live_server, settings):
    """The shop with both storages on S3 (moto), and a cluster writing there too."""
    from types import SimpleNamespace

    cluster = qcluster(
        tryon={
            "PROVIDERS": {
                "sandbox": {
                    "BACKEND": "django_tryon.providers.sandbox.SandboxProvider",
                    "LATENCY": 1.0,
                }
            }
        },
        storage=settings.STORAGES["default"],
        private_storage=settings.STORAGES["tryon_private"],
    )
    return open_shop(SimpleNamespace(url=live_server.url, cluster=cluster), settings)


@pytest.mark.s3
def test_delete_my_photo_now_leaves_nothing_on_s3(page, s3_shop, tmp_path):
    assert private_storage().location == "private"  # the S3 bucket's private prefix
    delete_everything(page, s3_shop, SimpleProducts(s3_shop), tmp_path)


def test_keyboard_only_reuses_the_photo(page, shop, more, artifacts, tmp_path):
    upload_first(page, shop.product_url, tmp_path)
    page.goto(more.urls["lower_body"])
    page.evaluate("document.activeElement.blur()")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.hasAttribute('data-tryon-open')"):
            break
    else:
        pytest.fail("Try it on is not reachable with Tab")
    page.keyboard.press("Enter")
    offered(page)
    focused = "document.activeElement"
    page.wait_for_function(f"{focused}.matches('[data-tryon-use]')")  # the offer comes first
    page.keyboard.press("Tab")
    assert page.evaluate(f"{focused}.matches('[data-tryon-file]')")  # then "Choose another"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(f"{focused}.matches('[data-tryon-use]')")
    page.screenshot(path=str(artifacts / "shopper-visit-keyboard.png"))
    page.keyboard.press("Enter")
    result_shown(page)
    assert page.evaluate(f"{focused}.matches('[data-step=result] [data-tryon-focus]')")
    assert TryOnJob.objects.count() == 2 and ShopperPhoto.objects.count() == 1


def test_on_a_phone(browser, shop, more, artifacts, tmp_path):
    context = browser.new_context(**MOBILE)
    page = context.new_page()
    upload_first(page, shop.product_url, tmp_path, tap=True)
    page.goto(more.urls["full_body"])
    page.get_by_role("button", name="Try it on").tap()
    page.wait_for_selector("[data-tryon-dialog][open]")
    use = offered(page)
    assert GUIDANCE["full_body"] in page.locator(".tryon-intro").text_content()
    box = use.bounding_box()
    assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.screenshot(path=str(artifacts / "shopper-visit-mobile-offer.png"))
    use.tap()
    result_shown(page)
    assert page.locator(".tryon-dialog").bounding_box()["width"] == 390
    page.get_by_role("button", name="Delete my photo now").tap()
    wait_for_step(page, "deleted")
    assert stored_names() == set()
    context.close()
