"""The merchant's pages fit a 1280 px wide screen: nothing pushed off it, nothing hidden.

Measured in Chromium on the example shop: the page's scroll width against the viewport,
and the job list's last column against the filter panel beside it.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from catalog.models import Product
from django.core.management import call_command

from django_tryon.models import Garment, ModelPhoto, TryOnJob
from django_tryon.services import generate

WIDTH = 1280


@pytest.fixture
def merchant(page: Any, site: Any) -> Any:
    call_command("seed_demo", stdout=io.StringIO())
    generate(list(Garment.objects.all()[:2]), list(ModelPhoto.objects.all()[:1]), "sandbox")
    page.set_viewport_size({"width": WIDTH, "height": 900})
    page.goto(f"{site.url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "admin")
    page.click("input[type=submit]")
    page.wait_for_url(f"{site.url}/admin/")
    product = Product.objects.get(pk=Garment.objects.first().object_id)
    return {"page": page, "url": site.url, "product": product}


def overflow(page: Any) -> int:
    """How many pixels the page is wider than the window (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_the_product_page_with_its_garments_fits(merchant: Any) -> None:
    page = merchant["page"]
    page.goto(f"{merchant['url']}/admin/catalog/product/{merchant['product'].pk}/change/")
    page.wait_for_selector(".inline-group")
    assert overflow(page) <= 0
    # The inline's last columns stay on screen.
    right = page.evaluate(
        "Math.max(...[...document.querySelectorAll('.inline-group th')]"
        ".map(th => th.getBoundingClientRect().right))"
    )
    assert right <= WIDTH


def test_the_job_list_shows_every_column_beside_the_filters(merchant: Any) -> None:
    assert TryOnJob.objects.exists()
    page = merchant["page"]
    page.goto(f"{merchant['url']}/admin/django_tryon/tryonjob/")
    page.wait_for_selector("#result_list")
    assert overflow(page) <= 0
    last_column = page.evaluate(
        "Math.max(...[...document.querySelectorAll('#result_list th')]"
        ".map(th => th.getBoundingClientRect().right))"
    )
    filters = page.evaluate(
        "document.querySelector('#changelist-filter').getBoundingClientRect().left"
    )
    assert last_column <= filters
