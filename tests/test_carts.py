"""TRYON["ADD_TO_CART"]: the shop's add-to-cart form under a try-on result, from settings."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from django_tryon.adapters import CartForm, DefaultProductAdapter
from django_tryon.carts import form_from_settings
from django_tryon.checks import check_add_to_cart

pytestmark = pytest.mark.urls("shop.urls")  # the example shop's catalog:bag_add and catalog:bag

PRODUCT = SimpleNamespace(pk=7)


def with_cart(settings, **config) -> None:
    settings.TRYON = {**settings.TRYON, "ADD_TO_CART": config or None}


def test_unset_means_no_form(settings):
    with_cart(settings)
    assert form_from_settings(PRODUCT) is None
    assert DefaultProductAdapter().add_to_cart_form(PRODUCT) is None
    assert check_add_to_cart() == []


def test_a_url_name_is_reversed_with_the_products_pk(settings):
    with_cart(settings, URL="catalog:bag_add", FIELDS={"quantity": 1, "sku": "P-{pk}"})
    form = DefaultProductAdapter().add_to_cart_form(PRODUCT)
    assert form == CartForm(action="/bag/add/7/", fields={"quantity": "1", "sku": "P-7"})
    assert check_add_to_cart() == []


def test_a_url_name_without_arguments_takes_the_product_in_a_field(settings):
    with_cart(settings, URL="catalog:bag", FIELDS={"product": "{pk}"}, LABEL="Add to cart")
    form = form_from_settings(PRODUCT)
    assert form is not None
    assert (form.action, dict(form.fields), form.label) == (
        "/bag/",
        {"product": "7"},
        "Add to cart",
    )


def test_a_path_has_the_pk_filled_in(settings):
    with_cart(settings, URL="/cart/{pk}/add/")
    form = form_from_settings(PRODUCT)
    assert form is not None and form.action == "/cart/7/add/" and dict(form.fields) == {}
    assert check_add_to_cart() == []


@pytest.mark.parametrize(
    "config",
    [{"FIELDS": {"quantity": "1"}}, {"URL": "catalog:no_such_page"}, {"URL": "admin:app_list"}],
)
def test_a_setting_that_cannot_work_is_a_system_check_error(settings, config):
    with_cart(settings, **config)
    (error,) = check_add_to_cart()
    assert error.id == "tryon.E017"
    assert "ADD_TO_CART" in error.msg and "cart:add" in error.hint
