"""The widget keeps its looks in a Bootstrap 4 and a Bootstrap 5 page: links, buttons,
labels and focus rings as designed, outer spacing, and theming by custom properties."""

from __future__ import annotations

import json

import pytest
from django.template import Context, Template

from tests.availability import ON_CI
from tests.e2e.theme_support import (
    BOOTSTRAP_5,
    STATIC,
    bootstrap_4,
    check_widget_holds_its_own,
    style,
)

pytestmark = pytest.mark.django_db

THEMES = {"bootstrap4": bootstrap_4, "bootstrap5": lambda: BOOTSTRAP_5}


def host_page(theme_css: str, widget: str, extra_css: str = "") -> str:
    # The host's theme first, then ours (as a shop links them), then the shop's own rules.
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<style>{theme_css}</style><style>{(STATIC / "tryon.css").read_text()}</style>
<style>{extra_css}</style></head>
<body class="container"><h1>Oxford Shirt</h1><p>A shirt.</p>{widget}<h2>Details</h2>
<script>{(STATIC / "tryon.js").read_text()}</script></body></html>"""


def widget_html(garment) -> str:
    html = Template("{% load tryon %}{% tryon_widget product %}").render(
        Context({"product": garment.product})
    )
    # The page is inline: drop the tag's own <link>/<script> to static files.
    return html.split("</script>", 1)[1] if html.startswith("<link") else html


@pytest.fixture(params=sorted(THEMES))
def theme_css(request):
    path = THEMES[request.param]()
    if not path.exists():
        message = f"{path} missing: run npm ci (package.json) and pip install -e .[dev]"
        pytest.fail(message) if ON_CI else pytest.skip(message)
    return request.param, path.read_text()


def test_the_widget_holds_its_own_in_bootstrap(page, garment, theme_css, artifacts):
    name, css = theme_css
    page.set_content(host_page(css, widget_html(garment)))
    seen = check_widget_holds_its_own(page)
    (artifacts / f"widget-theme-{name}.json").write_text(json.dumps(seen, indent=2))
    page.screenshot(path=str(artifacts / f"widget-theme-{name}.png"))


def test_custom_properties_theme_it_under_bootstrap(page, garment):
    css = BOOTSTRAP_5.read_text() if BOOTSTRAP_5.exists() else bootstrap_4().read_text()
    shop = ".tryon-widget { --tryon-accent: #0b6e4f; --tryon-spacing: 2rem; }"
    page.set_content(host_page(css, widget_html(garment), shop))
    check = style(page, ".tryon-widget", "marginTop")
    assert check == {"marginTop": "32px"}
    page.wait_for_selector("[data-tryon-open]", state="visible")
    assert style(page, "[data-tryon-open]", "backgroundColor") == {
        "backgroundColor": "rgb(11, 110, 79)"
    }
