"""The conversion report tells the truth: shoppers play through the example shop, then the
merchant reads the report, and its figures are those computed from what the shoppers did.

In Chromium, each shopper in a browser context of their own (their own session): some try
on and add to the bag from the result, some buy from the product page without a try-on,
some only look. The test notes every doing in a ``ShopperPlay``; the report's page (table
and CSV export, for today) must say what ``expected_report`` computes from those notes.
A live shop with a real qcluster and the sandbox provider (about a second per job).
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from django_tryon.models import EventKind, RecordedOrder, ShopperEvent
from django_tryon.testing.conversions import (
    FIGURES,
    ExpectedFigures,
    ShopperPlay,
    expected_report,
)
from tests.cluster import wait_until
from tests.e2e.shopper_support import axe_audit, make_product, open_shop, person_photo
from tests.e2e.test_shopper_cart import try_on

EVENTS_PATH = "/tryon/events/"
REPORT_PATH = "/admin/django_tryon/conversionreport/"
MERCHANT = ("merchant", "a-long-merchant-password")


@pytest.fixture
def shop(site, settings):
    settings.TRYON = {
        **settings.TRYON,
        "ADD_TO_CART": {"URL": "catalog:bag_add", "FIELDS": {"quantity": "1"}},
    }
    shop = open_shop(site, settings)
    shirt = make_product("Linen Shirt", "linen-shirt")
    shirt.price = Decimal("49.50")
    shirt.save()
    shop.shirt = shirt
    shop.shirt_url = f"{site.url}/products/{shirt.slug}/"
    return shop


def key(product: Any) -> str:
    return f"catalog.product:{product.pk}"


class Shopper:
    """One shopper in a browser context of their own, noting what they do in ``play``."""

    def __init__(self, browser: Any, shop: Any, tmp_path: Any, name: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.emulate_media(reduced_motion="reduce")
        self.shop, self.name = shop, name
        self.photo = tmp_path / f"{name}.jpg"
        self.play = ShopperPlay()
        self.bag: dict[str, Decimal] = {}  # product key: price, until checked out
        self.sent: list[str] = []  # event types, as the page sent them
        self.answered: list[str] = []  # ...and as the endpoint answered them
        self.answers: list[int] = []  # the endpoint's status codes
        self.page.on("request", self._on_request)
        self.page.on("response", self._on_response)

    def _on_request(self, request: Any) -> None:
        if request.url.endswith(EVENTS_PATH) and request.method == "POST":
            self.sent += [event["type"] for event in json.loads(request.post_data)["events"]]

    def _on_response(self, response: Any) -> None:
        # A batch sent while the page is left (keepalive) is answered after the page is
        # gone: Playwright reports no response for it. The stored rows show it arrived.
        if response.url.endswith(EVENTS_PATH):
            self.answers.append(response.status)
            batch = json.loads(response.request.post_data)["events"]
            self.answered += [event["type"] for event in batch]

    def settled(self, kind: str) -> None:
        """Wait until the endpoint has answered a batch with a ``kind`` event in it."""
        for _ in range(100):
            if kind in self.answered:
                return
            self.page.wait_for_timeout(100)
        raise AssertionError(f"{self.name}: no answer to {kind} ({self.sent}, {self.answers})")

    def view(self, product: Any, url: str) -> None:
        # A shopper looks at the page for more than the widget's 2 s batching delay.
        with self.page.expect_response(
            lambda r: r.url.endswith(EVENTS_PATH) and r.request.method == "POST"
        ) as answer:
            self.page.goto(url)
        assert answer.value.status == 204
        self.play.viewed.add(key(product))

    def try_on(self, product: Any) -> None:
        try_on(self.page, self.shop, person_photo(self.photo))
        self.play.opened.add(key(product))
        self.play.results.add(key(product))

    def add_from_result(self, product: Any) -> None:
        dialog = self.page.get_by_role("dialog", name=f"Try on {product.name}")
        dialog.get_by_role("button", name="Add to bag").click()
        self.page.wait_for_url("**/bag/")
        self.play.added.add(key(product))
        self._bagged(product)

    def add_from_product_page(self, product: Any) -> None:
        # The shop's own button: no widget event, so not "added to cart" in the report.
        self.page.locator("form.buy-form").get_by_role("button", name="Add to bag").click()
        self.page.wait_for_url("**/bag/")
        self._bagged(product)

    def _bagged(self, product: Any) -> None:
        self.bag[key(product)] = self.bag.get(key(product), Decimal(0)) + product.price

    def check_out(self) -> None:
        page = self.page
        page.get_by_role("link", name="Check out").click()
        page.get_by_label("Name").fill(f"Shopper {self.name}")
        page.get_by_label("Email").fill(f"{self.name}@example.com")
        page.get_by_role("button", name="Place order").click()
        page.wait_for_selector(f"text=Thank you, Shopper {self.name}")
        for product_key, price in self.bag.items():
            self.play.ordered[product_key] = self.play.ordered.get(product_key, Decimal(0)) + price
        self.bag = {}

    def leave(self) -> None:
        self.context.close()


def table_figures(row: Any) -> dict[str, Any]:
    """A row of the report's table: Viewed, Opened, Got a result, then "with / without"s."""
    cells = row.locator("td").all_inner_texts()
    added, ordered, value = (cell.split(" / ") for cell in cells[3:6])
    return {
        "viewed": int(cells[0]),
        "opened": int(cells[1]),
        "got_result": int(cells[2]),
        "added": (int(added[0]), int(added[1])),
        "ordered": (int(ordered[0]), int(ordered[1])),
        "value": (Decimal(value[0]), Decimal(value[1])),
    }


def as_table(f: ExpectedFigures) -> dict[str, Any]:
    return {
        "viewed": f.shoppers_with + f.shoppers_without,
        "opened": f.opened,
        "got_result": f.shoppers_with,
        "added": (f.added_with, f.added_without),
        "ordered": (f.ordered_with, f.ordered_without),
        "value": (f.value_with, f.value_without),
    }


CSV_COLUMNS = {
    "shoppers_with": "shoppers_with_tryon",
    "shoppers_without": "shoppers_without_tryon",
    "opened": "opened_widget",
    "added_with": "added_to_cart_with_tryon",
    "added_without": "added_to_cart_without_tryon",
    "ordered_with": "ordered_with_tryon",
    "ordered_without": "ordered_without_tryon",
    "value_with": "order_value_with_tryon",
    "value_without": "order_value_without_tryon",
}


def csv_figures(line: dict[str, str]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for name in FIGURES:
        cell = line[CSV_COLUMNS[name]]
        figures[name] = Decimal(cell) if name.startswith("value") else int(cell)
    return figures


def test_the_report_counts_what_the_shoppers_did(browser, shop, artifacts, tmp_path):
    from django.contrib.auth import get_user_model

    tee, shirt = shop.product, shop.shirt

    # Ada tries the tee on, adds it to the bag from the result and buys it.
    ada = Shopper(browser, shop, tmp_path, "ada")
    ada.view(tee, shop.product_url)
    ada.try_on(tee)
    ada.add_from_result(tee)
    ada.check_out()

    # Ben tries the shirt on and adds it from the result; the tee he adds from its page.
    ben = Shopper(browser, shop, tmp_path, "ben")
    ben.view(shirt, shop.shirt_url)
    ben.try_on(shirt)
    ben.add_from_result(shirt)
    ben.view(tee, shop.product_url)
    ben.add_from_product_page(tee)
    ben.check_out()

    # Cleo tries the tee on and leaves without buying.
    cleo = Shopper(browser, shop, tmp_path, "cleo")
    cleo.view(tee, shop.product_url)
    cleo.try_on(tee)
    cleo.settled("result")

    # Dan never opens the widget: he buys the shirt from its page.
    dan = Shopper(browser, shop, tmp_path, "dan")
    dan.view(shirt, shop.shirt_url)
    dan.add_from_product_page(shirt)
    dan.check_out()

    # Eve only looks at the tee.
    eve = Shopper(browser, shop, tmp_path, "eve")
    eve.view(tee, shop.product_url)

    shoppers = [ada, ben, cleo, dan, eve]
    for shopper in shoppers:
        shopper.settled("view")
        shopper.leave()

    # Every event the widgets sent was accepted and stored, once per doing.
    assert all(status == 204 for s in shoppers for status in s.answers), [
        (s.name, s.answers) for s in shoppers
    ]
    assert [s.sent for s in shoppers] == [
        ["view", "open", "result", "add_to_cart"],
        ["view", "open", "result", "add_to_cart", "view"],
        ["view", "open", "result"],
        ["view"],
        ["view"],
    ]
    plays = [s.play for s in shoppers]

    def stored() -> dict[str, list[str]]:
        rows = ShopperEvent.objects.values_list("kind", "object_id")
        return {
            kind: sorted(f"catalog.product:{pk}" for k, pk in rows if k == kind)
            for kind in EventKind.values
        }

    expected_rows = {
        EventKind.VIEW: sorted(k for p in plays for k in p.viewed),
        EventKind.OPEN: sorted(k for p in plays for k in p.opened),
        EventKind.RESULT: sorted(k for p in plays for k in p.results),
        EventKind.ADD_TO_CART: sorted(k for p in plays for k in p.added),
    }
    wait_until(lambda: stored() == expected_rows, timeout=10)
    assert stored() == expected_rows
    assert RecordedOrder.objects.count() == 3
    assert len(set(ShopperEvent.objects.values_list("owner", flat=True))) == len(shoppers)

    expected = expected_report(plays)
    assert set(expected.products) == {key(tee), key(shirt)}
    assert expected.total.shoppers_with == 3 and expected.total.ordered_without == 1  # a mix

    # The merchant reads today's report.
    get_user_model().objects.create_superuser(MERCHANT[0], "m@example.com", MERCHANT[1])
    merchant = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = merchant.new_page()
    page.goto(f"{shop.url}/admin/login/?next={REPORT_PATH}")
    page.fill("input[name=username]", MERCHANT[0])
    page.fill("input[name=password]", MERCHANT[1])
    page.click("input[type=submit]")
    page.wait_for_url(f"**{REPORT_PATH}")
    today = timezone.localdate().isoformat()
    page.get_by_role("textbox", name="From:").fill(today)
    page.get_by_role("textbox", name="To:").fill(today)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**{REPORT_PATH}?start={today}&end={today}")
    page.screenshot(path=str(artifacts / "admin-conversion-report.png"), full_page=True)

    table = page.locator("table.tryon-conversion-table")
    rows = {
        row.locator("th").inner_text(): table_figures(row)
        for row in table.locator("tbody tr").all()
    }
    assert rows == {
        tee.name: as_table(expected.products[key(tee)]),
        shirt.name: as_table(expected.products[key(shirt)]),
    }
    assert table_figures(table.locator("tfoot tr")) == as_table(expected.total)

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    lines = list(csv.DictReader(io.StringIO(text)))
    by_key = {line["product_key"]: csv_figures(line) for line in lines if line["product_key"]}
    assert by_key == {k: f.as_dict() for k, f in expected.products.items()}
    (total,) = [line for line in lines if line["product"] == "TOTAL"]
    assert csv_figures(total) == expected.total.as_dict()

    # The report itself (Django's own breadcrumbs, white on light blue, are Django's).
    audit = axe_audit(page, within="#content-main")
    (artifacts / "admin-axe-conversion-report.json").write_text(json.dumps(audit, indent=2))
    assert audit["passes"] > 10  # it really ran
    assert audit["violations"] == [], json.dumps(audit["violations"], indent=2)
    merchant.close()
