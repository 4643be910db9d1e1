"""The browser harness itself: Chromium starts and reaches the live server."""


def test_chromium_reaches_the_live_server(page, site, artifacts):
    response = page.goto(f"{site.url}/admin/login/")
    assert response is not None and response.status == 200
    assert page.locator("input[name=username]").is_visible()
    page.screenshot(path=str(artifacts / "harness-admin-login.png"))
