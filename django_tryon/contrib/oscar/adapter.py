"""What django-tryon needs to know about django-oscar's products."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from ...adapters import CartForm, ProductAdapter, ProductImage
from ...conf import tryon_settings


def product_model() -> type[models.Model]:
    from oscar.core.loading import get_model

    return get_model("catalogue", "Product")


class OscarProductAdapter(ProductAdapter):
    """Oscar's rules: ``is_public`` (a variant's and its parent's), ``get_title()``,
    ``get_absolute_url()``, the ``ProductImage``s (a variant without any: its parent's),
    ``TRYON["OSCAR_PRODUCT_CLASS_CATEGORIES"]`` for the implied garment category, and
    Oscar's own add-to-basket form (``basket:add``) under a try-on result.
    """

    def is_available(self, product: Any, request: HttpRequest | None = None) -> bool:
        if product is None or not product.is_public:
            return False
        parent = self.parent(product)
        return parent is None or bool(parent.is_public)

    def name(self, product: Any) -> str:
        return str(product.get_title())

    def url(self, product: Any) -> str:
        return str(product.get_absolute_url())

    def images(self, product: Any) -> list[ProductImage]:
        images = list(product.images.all())
        parent = self.parent(product)
        if not images and parent is not None:
            images = list(parent.images.all())
        return [
            ProductImage(
                key=str(image.pk),
                name=image.original.name,
                url=image.original.url,
                caption=image.caption or "",
                storage=image.original.storage,
            )
            for image in images
            if image.original
        ]

    def parent(self, product: Any) -> Any:
        return product.parent if product.parent_id else None

    def parent_keys(self, products: models.QuerySet[Any]) -> dict[str, str]:
        rows = products.order_by().filter(parent__isnull=False).values_list("pk", "parent_id")
        return {str(pk): str(parent) for pk, parent in rows}

    def category(self, product: Any) -> str | None:
        product_class = product.get_product_class()
        if product_class is None:
            return None
        return (tryon_settings.OSCAR_PRODUCT_CLASS_CATEGORIES or {}).get(product_class.slug)

    def product_models(self) -> Iterable[type[models.Model]]:
        return [product_model()]

    def add_to_cart_form(self, product: Any, request: HttpRequest | None = None) -> CartForm | None:
        """Oscar's ``SimpleAddToBasketForm`` posting to ``basket:add``, as on the product page
        (a parent's has the variant choice); None when the product can't be bought now."""
        basket = getattr(request, "basket", None)
        strategy = getattr(request, "strategy", None)
        if basket is None or strategy is None:
            return None
        if product.is_parent:
            info = strategy.fetch_for_parent(product)
        else:
            info = strategy.fetch_for_product(product)
        if not (info.availability.is_available_to_buy and info.price.exists):
            return None
        from oscar.core.loading import get_class

        form_class = get_class("basket.forms", "SimpleAddToBasketForm")
        initial = {} if product.is_parent else {"product_id": product.pk}
        return CartForm(
            action=reverse("basket:add", kwargs={"pk": product.pk}),
            form=form_class(basket, product=product, initial=initial),
            label=_("Add to basket"),
        )
