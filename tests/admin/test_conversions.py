"""The conversion report in the admin: found from the indexes, charts, table, CSV, few queries."""

from __future__ import annotations

import csv
import io
import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from django_tryon.models import Garment
from django_tryon.services import record_order
from tests.services.conversion_support import play, result_job, send, shopper_request

REPORT = "/admin/django_tryon/conversionreport/"
EXPORT = "/admin/django_tryon/conversionreport/export.csv"


@pytest.fixture
def sales(shop):
    """One shirt viewer who tried it on and bought it, one who only viewed."""
    shirt = shop["shirts"][0]
    buyer = shopper_request()
    send(buyer, ("view", shirt, None), ("open", shirt, None))
    job = result_job(buyer, Garment.objects.for_product(shirt).get(), credits=4)
    send(buyer, ("result", shirt, job), ("add_to_cart", shirt, job))
    record_order(buyer, [(shirt, 2, Decimal("59.00"))], reference="1001")
    send(shopper_request(), ("view", shirt, None))
    return shirt


def test_the_report_shows_charts_and_a_table(admin_client, sales):
    response = admin_client.get(REPORT)
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count('<svg class="tryon-chart__svg"') == 2
    row = response.context["rows"][0]
    assert (row.name, row.funnel.shoppers, row.funnel.shoppers_with) == ("Oxford Shirt", 2, 1)
    assert (row.funnel.ordered_with, row.funnel.value_with) == (1, Decimal("118.00"))
    assert row.funnel.credits_per_converting_result == Decimal("4.00")
    assert "not enough data" in content
    assert "Oxford Shirt" in content and "118.00" in content
    assert response.context["shoppers_chart"].bars[-1].total == 2
    assert "<script" not in content.split('<div id="content-main">')[1]


def test_the_period_comes_from_the_query_string(admin_client, sales):
    long_ago = timezone.localdate() - timedelta(days=100)
    response = admin_client.get(REPORT, {"start": long_ago - timedelta(days=9), "end": long_ago})
    assert response.context["report"].is_empty
    assert len(response.context["shoppers_chart"].bars) == 10
    assert "No shopper has viewed a try-on product in this period yet." in response.content.decode()
    # Nonsense falls back to the last 30 days.
    response = admin_client.get(REPORT, {"start": "yesterday"})
    assert response.context["report"].total.shoppers == 2


def test_the_csv_export_has_a_row_per_product_and_the_total(admin_client, sales):
    response = admin_client.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["product"] for row in rows] == ["Oxford Shirt", "TOTAL"]
    shirt = rows[0]
    assert shirt["product_key"] == f"{sales._meta.label_lower}:{sales.pk}"
    assert (shirt["shoppers"], shirt["ordered_with_tryon"], shirt["order_value_with_tryon"]) == (
        "2",
        "1",
        "118.00",
    )
    assert shirt["difference_ci95_low"] == ""  # not enough data
    assert shirt["credits_per_result_leading_to_an_order"] == "4.00"


def test_the_page_makes_as_many_queries_with_many_rows_as_with_few(
    admin_client, shop, django_assert_max_num_queries
):
    products = shop["shirts"] + [shop["skirt"]]
    rng = random.Random(3)
    play(products, rng)
    admin_client.get(REPORT)  # warm-up: sessions, content types
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        admin_client.get(REPORT)
    for _ in range(30):
        play(products, rng)
    with django_assert_max_num_queries(len(few)):
        assert admin_client.get(REPORT).status_code == 200
    with django_assert_max_num_queries(len(few)):
        assert admin_client.get(EXPORT).status_code == 200


@pytest.mark.parametrize("index", ["/admin/", "/admin/django_tryon/"])
def test_the_admin_indexes_link_to_the_report_next_to_the_overview(staff_client, index):
    page = staff_client("django_tryon.view_tryonjob").get(index).content.decode()
    assert f'href="{REPORT}"' in page and "Conversion report" in page
    assert 'href="/admin/django_tryon/tryonoverview/"' in page


def test_staff_who_may_not_see_jobs_get_no_report(staff_client):
    client = staff_client("django_tryon.view_garment")
    assert f'href="{REPORT}"' not in client.get("/admin/").content.decode()
    assert client.get(REPORT).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert client.get(f"{REPORT}add/").status_code == 404


def test_the_report_speaks_german(admin_client, sales):
    from django.utils import translation

    with translation.override("de"):
        content = admin_client.get(REPORT, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Konversionsbericht" in content
    assert "Unterschied (95-%-Intervall)" in content
    assert "zu wenige Daten" in content
