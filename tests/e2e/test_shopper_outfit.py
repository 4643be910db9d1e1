"""Complete the look in Chromium: a top tried on, then trousers added, one picture of both.

Keyboard only from the result on, and axe-core clean in the new states.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from django_tryon.models import Garment, Status
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


@pytest.fixture
def shop(site, settings):
    shop = open_shop(site, settings)
    chinos = make_product("Slim Chinos", "slim-chinos", garment=False)
    item = Garment(product=chinos, name="Slim Chinos", category="lower_body")
    item.image.save("chinos.png", ContentFile(trousers_picture()), save=False)
    item.save()
    shop.chinos = chinos
    return shop


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
    assert outfit.token != top and outfit.status == Status.SUCCEEDED
    assert [g.category for g in outfit.outfit_garments()] == ["upper_body", "lower_body"]
    assert (
        page.locator("[data-tryon-result]")
        .get_attribute("src")
        .endswith(f"/jobs/{outfit.token}/result/")
    )
    # Both categories are worn now: nothing more of them is offered.
    assert page.locator("[data-tryon-look]").is_hidden()
    events = [name for name, _ in page.evaluate("window.__tryon.events")]
    assert events.count("success") == 2
    no_serious_findings(page, artifacts, "outfit-result")
