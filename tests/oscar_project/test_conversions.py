"""The conversion report in an Oscar shop: orders placed through Oscar's own checkout are
recorded by themselves and attributed to the shopper's try-ons; the dashboard page."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from oscar.core.loading import get_model
from oscar.test.factories import create_order

from django_tryon.models import RecordedOrder, Source, Status, TryOnJob
from django_tryon.services import conversion_report, owners
from django_tryon.testing.conversions import ShopperPlay, expected_report, funnel_figures

pytestmark = pytest.mark.django_db

Country = get_model("address", "Country")


@pytest.fixture
def country(db):
    return Country.objects.create(
        iso_3166_1_a2="DE", name="Germany", printable_name="Germany", is_shipping_country=True
    )


def send_events(client: Client, *events: dict) -> None:
    response = client.post(
        "/tryon/events/", json.dumps({"events": list(events)}), content_type="application/json"
    )
    assert response.status_code == 204, response.content


def try_on(client: Client, garment) -> TryOnJob:
    """A succeeded try-on owned by the client's session (as the widget would have made)."""
    session = client.session
    session[owners.OWNER_SESSION_KEY] = session.get(owners.OWNER_SESSION_KEY) or "secret-" + str(
        id(client)
    )
    session.save()
    return TryOnJob.objects.create(
        garment=garment,
        category=garment.category,
        provider="sandbox",
        source=Source.SHOPPER,
        owner=owners.owner_of(session[owners.OWNER_SESSION_KEY]),
        status=Status.SUCCEEDED,
        credits_charged=1,
        fingerprint="f" * 64,
    )


def checkout(client: Client, product, quantity: int = 1) -> None:
    """Oscar's own checkout, as a guest: basket, address, shipping, preview, place order."""
    response = client.post(
        reverse("basket:add", args=[product.pk]), {"quantity": quantity}, follow=True
    )
    assert response.status_code == 200
    response = client.post(
        reverse("checkout:index"),
        {"username": "shopper@example.com", "options": "anonymous"},
        follow=True,
    )
    assert response.request["PATH_INFO"] == reverse("checkout:shipping-address"), (
        response.redirect_chain
    )
    address = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "line1": "1 Main Street",
        "line4": "Berlin",
        "postcode": "10115",
        "country": "DE",
    }
    response = client.post(reverse("checkout:shipping-address"), address, follow=True)
    assert response.request["PATH_INFO"] == reverse("checkout:payment-details"), (
        response.redirect_chain
    )
    response = client.post(reverse("checkout:preview"), {"action": "place_order"}, follow=True)
    assert response.status_code == 200, response.content[:2000]
    assert "thank-you" in response.request["PATH_INFO"], response.redirect_chain


def test_an_order_from_oscars_checkout_is_attributed_to_the_shoppers_try_on(catalogue, country):
    shirt = catalogue["shirt"]
    tried, browsed = Client(), Client()
    send_events(tried, {"type": "view", "product": str(shirt.pk)})
    job = try_on(tried, catalogue["shirt_garment"])
    send_events(tried, {"type": "result", "product": str(shirt.pk), "job": job.token})
    send_events(browsed, {"type": "view", "product": str(shirt.pk)})
    checkout(tried, shirt, quantity=2)

    order = RecordedOrder.objects.get()
    assert order.owner == job.owner
    line = order.lines.get()
    assert (line.object_id, line.quantity, line.value) == (str(shirt.pk), 2, Decimal("40.00"))

    key = f"catalogue.product:{shirt.pk}"
    expected = expected_report(
        [
            ShopperPlay(viewed={key}, results={key}, ordered={key: Decimal("40.00")}),
            ShopperPlay(viewed={key}),
        ]
    )
    report = conversion_report(order.created_at.date(), order.created_at.date())
    assert funnel_figures(report.total) == expected.total.as_dict()


def test_an_order_placed_outside_the_checkout_is_recorded_in_neither_group(catalogue):
    order = create_order()
    recorded = RecordedOrder.objects.get(reference=order.number)
    assert recorded.owner == ""


def test_a_variant_without_a_garment_of_its_own_counts_for_its_parent(catalogue):
    from django_tryon.contrib.oscar.orders import tried_product

    assert tried_product(catalogue["red"]) == catalogue["polo"]
    assert tried_product(catalogue["shirt"]) == catalogue["shirt"]


def test_the_dashboard_page_shows_the_report_and_its_csv(staff_client, catalogue):
    from django_tryon.services import record_order

    record_order(None, [(catalogue["shirt"], 1, Decimal("20.00"))])
    client = staff_client("django_tryon.view_tryonjob")
    page = client.get(reverse("django_tryon:tryon_oscar:tryon-conversions"))
    assert page.status_code == 200
    content = page.content.decode()
    assert content.count('<svg class="tryon-chart__svg"') == 2
    assert "Conversion by product" in content
    export = client.get(reverse("django_tryon:tryon_oscar:tryon-conversions-export"))
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0][0] == "product" and rows[-1][0] == "TOTAL"
    assert (
        staff_client().get(reverse("django_tryon:tryon_oscar:tryon-conversions")).status_code == 403
    )
