"""Reading the widget's computed styles in a page styled by a host theme (Bootstrap).

Each check names the host rule it guards against; the page must already show the widget
(its script loaded). The dialog is opened and its result step shown directly, so that
the Download link can be hovered without running a try-on.
"""

from __future__ import annotations

from pathlib import Path

import django_tryon

ROOT = Path(__file__).resolve().parent.parent.parent
STATIC = Path(django_tryon.__file__).parent / "static" / "django_tryon"
BOOTSTRAP_5 = ROOT / "node_modules" / "bootstrap" / "dist" / "css" / "bootstrap.min.css"
WHITE = "rgb(255, 255, 255)"
DEFAULT_ACCENT = "rgb(29, 29, 31)"  # --tryon-accent's default, #1d1d1f


def bootstrap_4() -> Path:
    """Bootstrap 4.6, as django-oscar's shop front ships it (its styles.css)."""
    import oscar

    return Path(oscar.__file__).parent / "static" / "oscar" / "css" / "styles.css"


def style(page, selector: str, *properties: str) -> dict[str, str]:
    return page.eval_on_selector(
        selector,
        "(el, props) => Object.fromEntries(props.map(p => [p, getComputedStyle(el)[p]]))",
        list(properties),
    )


def show_result_step(page) -> None:
    page.eval_on_selector(
        "[data-tryon-dialog]",
        """dialog => {
            dialog.showModal();
            dialog.querySelectorAll('[data-step]').forEach(s => s.hidden = s.dataset.step !== 'result');
        }""",
    )


def check_widget_holds_its_own(page, accent: str = DEFAULT_ACCENT) -> dict[str, dict[str, str]]:
    """Assert the widget's looks under the page's theme; return what was measured."""
    seen: dict[str, dict[str, str]] = {}
    opener = ".tryon-widget [data-tryon-open]"
    page.wait_for_selector(opener, state="visible")
    seen["widget"] = style(page, ".tryon-widget", "marginTop", "marginBottom")
    # Outer spacing: the widget doesn't touch the headings and paragraphs around it.
    assert seen["widget"]["marginTop"] == seen["widget"]["marginBottom"] == "16px", seen
    seen["open"] = style(page, opener, "color", "backgroundColor", "borderRadius")
    assert seen["open"]["color"] == WHITE and seen["open"]["backgroundColor"] == accent, seen
    # Keyboard focus shows our ring, not the theme's (Bootstrap 4: button:focus outline).
    page.keyboard.press("Tab")
    while not page.evaluate("document.activeElement.matches('[data-tryon-open]')"):
        page.keyboard.press("Tab")
    seen["open:focus"] = style(page, opener, "outlineWidth", "outlineStyle")
    assert seen["open:focus"] == {"outlineWidth": "3px", "outlineStyle": "solid"}, seen

    show_result_step(page)
    download = ".tryon-widget [data-tryon-download]"
    again = ".tryon-widget [data-step='result'] [data-tryon-again]"
    # Download is the main button, or a secondary one beside the shop's "Add to bag".
    primary = page.eval_on_selector(download, "el => el.classList.contains('tryon-primary')")
    secondary_color = style(page, again, "color")["color"]
    page.hover(download)
    # Bootstrap's a:hover: blue, underlined text on the button.
    seen["download:hover"] = style(page, download, "color", "textDecorationLine")
    expected = WHITE if primary else secondary_color
    assert seen["download:hover"] == {"color": expected, "textDecorationLine": "none"}, seen
    page.hover(again)
    seen["again:hover"] = style(page, again, "color", "textDecorationLine", "borderRadius")
    assert seen["again:hover"]["textDecorationLine"] == "none", seen
    assert seen["again:hover"]["borderRadius"] != "0px", seen  # Bootstrap: button radius 0
    return seen
