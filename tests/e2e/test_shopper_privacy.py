"""Privacy in the browser: my result is mine only, and "Delete my photo now" deletes it."""

from __future__ import annotations

import pytest

from django_tryon.models import TryOnJob
from tests.e2e.shopper_support import (
    PROBE,
    choose,
    job_of,
    latest_token,
    open_shop,
    open_widget,
    person_photo,
    storage_path_gone,
    wait_for_step,
)


@pytest.fixture
def shop(site, settings):
    return open_shop(site, settings)


def make_tryon(page, shop, tmp_path) -> dict:
    page.add_init_script(PROBE)
    page.goto(shop.product_url)
    open_widget(page)
    choose(page, person_photo(tmp_path / "me.jpg"))
    page.wait_for_selector("[data-tryon-preview-box]:not([hidden])")
    page.get_by_label("I agree that my photo is sent").check()
    page.get_by_role("button", name="Create my try-on").click()
    wait_for_step(page, "result")
    token = latest_token()
    return {
        "token": token,
        "status": f"{shop.url}/tryon/jobs/{token}/",
        "result": f"{shop.url}/tryon/jobs/{token}/result/",
        "download": f"{shop.url}/tryon/jobs/{token}/result/?download=1",
    }


def test_another_browser_cannot_fetch_my_result(browser, page, shop, tmp_path):
    urls = make_tryon(page, shop, tmp_path)
    mine = page.request.get(urls["result"])
    assert mine.status == 200 and mine.body()[:3] == b"\xff\xd8\xff"
    assert "no-store" in mine.headers["cache-control"]

    stranger = browser.new_context()
    try:
        # Straight to the URLs, and after visiting the shop (a session of their own).
        for visit_first in (False, True):
            if visit_first:
                stranger.new_page().goto(shop.product_url)
            for name in ("status", "result", "download"):
                response = stranger.request.get(urls[name])
                assert response.status == 404, (name, response.status)
                assert response.json()["code"] == "not_found"
        page_of_stranger = stranger.new_page()
        page_of_stranger.goto(urls["result"])
        assert b"\xff\xd8" not in page_of_stranger.content().encode("latin-1", "ignore")
    finally:
        stranger.close()


def test_delete_my_photo_now(page, shop, artifacts, tmp_path):
    urls = make_tryon(page, shop, tmp_path)
    job = job_of(urls["token"])
    files = [job.person_file.name, job.result.name]
    assert files[0] and files[1] and not any(storage_path_gone(n) for n in files)

    page.get_by_role("button", name="Delete my photo now").click()
    wait_for_step(page, "deleted")
    message = page.locator("[data-step=deleted] [data-tryon-focus]")
    assert message.text_content() == "Your photo and the picture have been deleted."
    assert page.evaluate("document.activeElement.matches('[data-step=deleted] [data-tryon-focus]')")
    page.screenshot(path=str(artifacts / "shopper-14-deleted.png"))

    assert not TryOnJob.objects.filter(token=urls["token"]).exists()
    assert all(storage_path_gone(n) for n in files)
    assert page.request.get(urls["result"]).status == 404
    assert page.evaluate("window.__tryon.events.map(e => e[0])")[-1] == "delete"

    page.get_by_role("button", name="Try another photo").click()
    wait_for_step(page, "choose")
