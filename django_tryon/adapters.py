"""The product adapter: the one place that knows the host shop's products.

The shop's product model is not ours, so every question about a product (may this
request try it on, what is it called, where is its page, which pictures does it have,
is it a variant of another product, which garment category does it imply, which models
are products at all) is asked of one object, ``get_adapter()``, whose class is named by
``TRYON["PRODUCT_ADAPTER"]``. The widget, the gallery, the shopper API, the admin,
``tryon_generate`` and the services all ask it; nothing else guesses.

``DefaultProductAdapter`` answers by duck typing, for a shop that writes no code; a shop
with its own rules subclasses it and overrides what differs (see "Writing an adapter
for your shop" in the docs). ``django_tryon.contrib.oscar`` ships django-oscar's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.http import HttpRequest
from django.utils.module_loading import import_string

from .conf import tryon_settings

# Flags that, when present on a product and False, hide it from shoppers.
HIDING_FLAGS = ("is_published", "published", "is_active", "is_available", "available")


@dataclass(frozen=True)
class ProductImage:
    """A picture the shop already holds for a product, offered as a garment image.

    ``key`` identifies it among the product's images (stable across requests), ``name``
    is the file's name in ``storage`` (an alias of ``settings.STORAGES`` or a storage).
    """

    key: str
    name: str
    url: str
    caption: str = ""
    storage: Any = None

    def open(self) -> Any:
        from django.core.files.storage import default_storage, storages

        storage = self.storage
        if storage is None:
            storage = default_storage
        elif isinstance(storage, str):
            storage = storages[storage]
        return storage.open(self.name, "rb")


@dataclass
class CartForm:
    """The shop's own add-to-cart form for a product, shown under a try-on result.

    The widget renders ``<form method="post" action="{action}">`` with the CSRF token,
    ``fields`` as hidden inputs, the fields of ``form`` (a Django form of the shop's, e.g.
    a quantity or a variant choice) and a submit button labelled ``label`` ("Add to bag"
    when empty). Submitting it is an ordinary form post to the shop's own view.
    """

    action: str
    fields: Mapping[str, str] = field(default_factory=dict)
    form: Any = None
    label: str = ""


class ProductAdapter:
    """What django-tryon asks about a shop's products. Override what your shop does differently.

    Every method takes a product instance (any model); none changes it.
    """

    def is_available(self, product: Any, request: HttpRequest | None = None) -> bool:
        """Whether this request (None: anyone) may see and try on ``product``."""
        raise NotImplementedError

    def name(self, product: Any) -> str:
        """The product's name, as shoppers and merchants read it."""
        return str(product)

    def url(self, product: Any) -> str:
        """The product's page in the shop, or ``""`` when it has none."""
        get_url = getattr(product, "get_absolute_url", None)
        return str(get_url()) if callable(get_url) else ""

    def images(self, product: Any) -> list[ProductImage]:
        """Pictures the shop holds for the product, offered to the merchant as garment images."""
        return []

    def parent(self, product: Any) -> Any:
        """The product this one is a variant of, or None."""
        return None

    def parent_keys(self, products: models.QuerySet[Any]) -> dict[str, str]:
        """``{variant pk: parent pk}`` (as strings) for the variants among ``products``.

        One query for any number of products: "Generate try-ons" on variants uses it to
        find their parents' garments.
        """
        return {}

    def category(self, product: Any) -> str | None:
        """The garment category (``upper_body``...) the product implies, or None."""
        return None

    def product_models(self) -> Iterable[type[models.Model]]:
        """The models that are products: deleting one of them deletes its garments."""
        return ()

    def outfit_products(self, product: Any, request: HttpRequest | None = None) -> Iterable[Any]:
        """Products the widget offers to wear with ``product`` ("Complete the look"): a
        queryset or any iterable, in the order shown. Those with a try-on garment of
        another category than ``product``'s are offered. None by default; the widget
        tag's ``outfit_with`` argument, where given, is used instead."""
        return ()

    def add_to_cart_form(self, product: Any, request: HttpRequest | None = None) -> CartForm | None:
        """The shop's add-to-cart form for ``product`` under a try-on result, or None (none).

        By default it is built from ``TRYON["ADD_TO_CART"]`` (see ``django_tryon.carts``).
        """
        from .carts import form_from_settings

        return form_from_settings(product)


class DefaultProductAdapter(ProductAdapter):
    """Duck typing, for shops that write no adapter.

    A product is hidden when one of ``is_published``, ``published``, ``is_active``,
    ``is_available`` or ``available`` is ``False``; a ``tryon_available`` attribute or
    method has the last word. A product with a ``parent`` of its own model is a variant.
    The models of ``TRYON["PRODUCT_MODELS"]`` ("app_label.ModelName") are products.
    """

    def is_available(self, product: Any, request: HttpRequest | None = None) -> bool:
        if product is None:
            return False
        custom = getattr(product, "tryon_available", None)
        if custom is not None:
            return bool(custom() if callable(custom) else custom)
        for flag in HIDING_FLAGS:
            value = getattr(product, flag, True)
            if isinstance(value, bool) and not value:
                return False
        parent = self.parent(product)
        return parent is None or self.is_available(parent, request)

    def parent(self, product: Any) -> Any:
        parent = getattr(product, "parent", None)
        return parent if isinstance(parent, type(product)) else None

    def parent_keys(self, products: models.QuerySet[Any]) -> dict[str, str]:
        field = _parent_field(products.model)
        if field is None:
            return {}
        rows = products.order_by().filter(**{f"{field.name}__isnull": False})
        return {str(pk): str(parent) for pk, parent in rows.values_list("pk", field.attname)}

    def product_models(self) -> Iterable[type[models.Model]]:
        return [apps.get_model(label) for label in tryon_settings.PRODUCT_MODELS]


def _parent_field(model: type[models.Model]) -> Any:
    try:
        field = model._meta.get_field("parent")
    except Exception:
        return None
    if getattr(field, "many_to_one", False) and field.related_model is model:
        return field
    return None


@lru_cache(maxsize=8)
def _load(path: str) -> ProductAdapter:
    try:
        adapter_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"TRYON['PRODUCT_ADAPTER']: cannot import {path!r}: {exc}"
        ) from exc
    return adapter_class()


OSCAR_ADAPTER = "django_tryon.contrib.oscar.adapter.OscarProductAdapter"


def adapter_path() -> str:
    """``TRYON["PRODUCT_ADAPTER"]``; unset, Oscar's when ``contrib.oscar`` is installed."""
    if "PRODUCT_ADAPTER" not in tryon_settings.user_keys() and apps.is_installed(
        "django_tryon.contrib.oscar"
    ):
        return OSCAR_ADAPTER
    return str(tryon_settings.PRODUCT_ADAPTER)


def get_adapter() -> ProductAdapter:
    """The shop's adapter: an instance of ``TRYON["PRODUCT_ADAPTER"]`` (one per class)."""
    return _load(adapter_path())
