"""``TRYON["ADD_TO_CART"]``: the shop's add-to-cart form under a try-on result, with no code.

    "ADD_TO_CART": {
        "URL": "cart:add",            # a URL name, reversed with the product's pk (or with
                                      # no arguments when it takes none), or a path with {pk}
        "FIELDS": {"quantity": "1"},  # hidden fields; "{pk}" in a value is the product's pk
        "LABEL": "Add to bag",        # optional: the button's text
    }

``ProductAdapter.add_to_cart_form`` answers from this setting unless an adapter overrides
it (django-oscar's does). A URL that doesn't resolve is reported by ``tryon.E017``
(``django_tryon.checks``). ``as_json`` gives the same form to a headless shop (the visit's
document lists one per garment of a result).
"""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse

from .adapters import CartForm
from .conf import tryon_settings


def action_url(url: str, pk: Any) -> str:
    if "/" in url or "{pk}" in url:
        return url.replace("{pk}", str(pk))
    try:
        return reverse(url, args=[pk])
    except NoReverseMatch:
        return reverse(url)


def form_from_settings(product: Any) -> CartForm | None:
    """``TRYON["ADD_TO_CART"]`` for ``product``; None when the setting is unset."""
    config = tryon_settings.ADD_TO_CART
    if not config or product is None:
        return None
    pk = product.pk
    fields = {
        str(name): str(value).replace("{pk}", str(pk))
        for name, value in (config.get("FIELDS") or {}).items()
    }
    return CartForm(
        action=action_url(str(config["URL"]), pk),
        fields=fields,
        label=str(config.get("LABEL") or ""),
    )


def as_json(cart: CartForm) -> dict[str, Any]:
    """``{"action", "fields", "label"}``: what to POST where, for a client that draws its own.

    ``fields`` are the hidden fields and, for a shop's Django form, each of its fields that
    has an initial value (e.g. Oscar's quantity). A choice the form leaves open (a variant)
    is not in it: a headless client asks it as it does on its product page.
    """
    fields = dict(cart.fields)
    for bound in cart.form or ():
        value = bound.value()
        if value not in (None, "", [], ()):
            fields[bound.html_name] = str(value)
    return {"action": cart.action, "fields": fields, "label": str(cart.label or "")}
