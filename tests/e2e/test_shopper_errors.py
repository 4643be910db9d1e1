"""What the shopper sees when something is wrong: no consent, not a picture, too large."""

from __future__ import annotations

import pytest

from django_tryon.models import TryOnJob
from tests.e2e.shopper_support import (
    PROBE,
    choose,
    events,
    open_shop,
    open_widget,
    person_photo,
)


@pytest.fixture
def shop(site, settings):
    return open_shop(site, settings)


def watch_uploads(page) -> list[str]:
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    return posts


def test_consent_is_required(page, shop, artifacts, tmp_path):
    page.add_init_script(PROBE)
    posts = watch_uploads(page)
    page.goto(shop.product_url)
    open_widget(page)
    choose(page, person_photo(tmp_path / "me.jpg"))
    page.wait_for_selector("[data-tryon-preview-box]:not([hidden])")
    page.get_by_role("button", name="Create my try-on").click()

    alert = page.get_by_role("alert")
    assert alert.text_content() == "Please agree to how your photo is used before continuing."
    assert page.evaluate("document.activeElement.matches('[data-tryon-consent]')")
    assert page.locator("[data-step=choose]").is_visible()
    page.screenshot(path=str(artifacts / "shopper-11-consent-required.png"))
    assert posts == [] and not TryOnJob.objects.exists()
    assert events(page) == ["open", "error"]
    assert page.evaluate("window.__tryon.events[1][1].code") == "consent_required"


def test_a_file_that_is_not_a_picture(page, shop, artifacts, tmp_path):
    page.add_init_script(PROBE)
    fake = tmp_path / "holiday.jpg"
    fake.write_text("<html><body>definitely not a photo</body></html>\n" * 50)
    page.goto(shop.product_url)
    open_widget(page)
    choose(page, fake)
    page.get_by_label("I agree that my photo is sent").check()
    page.get_by_role("button", name="Create my try-on").click()

    # The browser couldn't read it, so the server judged it, and said so in plain words.
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert (
        alert.text_content() == "This file is not a picture. Please use a JPEG, PNG or WebP photo."
    )
    assert page.locator("[data-step=choose]").is_visible()
    page.screenshot(path=str(artifacts / "shopper-12-not-a-picture.png"))
    assert not TryOnJob.objects.exists()
    assert events(page) == ["open", "submit", "error"]
    assert page.evaluate("window.__tryon.events[2][1].code") == "not_an_image"


def test_a_file_that_is_too_large(page, shop, artifacts, tmp_path):
    page.add_init_script(PROBE)
    posts = watch_uploads(page)
    big = tmp_path / "huge.jpg"
    with big.open("wb") as out:
        out.write(b"\xff\xd8\xff\xe0")
        out.write(b"\x5a" * (40 * 2**20))
    page.goto(shop.product_url)
    open_widget(page)
    choose(page, big)

    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.text_content() == "The file is too large (41 MB); the limit is 15 MB."
    assert page.locator("[data-tryon-choose-label]").text_content() == "Choose a photo"
    page.screenshot(path=str(artifacts / "shopper-13-too-large.png"))
    page.get_by_label("I agree that my photo is sent").check()
    page.get_by_role("button", name="Create my try-on").click()
    assert alert.text_content() == "Please choose a photo of yourself first."
    assert posts == [] and not TryOnJob.objects.exists()  # 40 MB never left the browser
    assert events(page)[:2] == ["open", "error"]


def test_a_photo_the_server_finds_too_dark(page, shop, tmp_path):
    from tests.api.badfiles import dark_photo

    dark = tmp_path / "night.jpg"
    dark.write_bytes(dark_photo())
    page.goto(shop.product_url)
    open_widget(page)
    choose(page, dark)
    page.wait_for_selector("[data-tryon-preview-box]:not([hidden])")
    page.get_by_label("I agree that my photo is sent").check()
    page.get_by_role("button", name="Create my try-on").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.text_content() == (
        "This photo is too dark. Please take it somewhere brighter, with the light in front of you."
    )
    # The shopper picks a better photo and carries on from the same dialog.
    choose(page, person_photo(tmp_path / "me.jpg"))
    page.wait_for_selector("[data-tryon-preview-box]:not([hidden])")
    assert alert.is_hidden()
    page.get_by_role("button", name="Create my try-on").click()
    page.wait_for_selector("[data-step=result]:not([hidden])", timeout=30_000)


def test_a_failure_at_the_provider_is_explained(page, shop, tmp_path):
    from tests.e2e.shopper_support import make_product

    product = make_product("Nobody Tee", "nobody-tee", description="[sandbox:no_person]")
    page.add_init_script(PROBE)
    page.goto(f"{shop.url}/products/{product.slug}/")
    open_widget(page)
    choose(page, person_photo(tmp_path / "me.jpg"))
    page.wait_for_selector("[data-tryon-preview-box]:not([hidden])")
    page.get_by_label("I agree that my photo is sent").check()
    page.get_by_role("button", name="Create my try-on").click()
    alert = page.get_by_role("alert")
    alert.wait_for(timeout=30_000)
    assert alert.text_content().startswith("We couldn't find a person in this photo.")
    assert events(page)[-1] == "error"
    assert page.evaluate("window.__tryon.events.at(-1)[1].code") == "no_person"
