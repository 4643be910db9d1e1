"""``{% tryon_variants product %}``: on a parent product's page, a widget per variant
whose garment differs from the parent's, each under the variant's title."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from ....adapters import get_adapter
from ....models import Garment
from ....services.shopper import product_garments, product_is_available
from ....templatetags.tryon import tryon_widget

register = template.Library()


@register.simple_tag(takes_context=True)
def tryon_variants(context: template.Context, product: Any) -> SafeString:
    request = context.get("request")
    if not product_is_available(product, request):
        return mark_safe("")
    adapter = get_adapter()
    shared = product_garments(product).first()
    choices = []
    for child in product.get_public_children():
        own = Garment.objects.for_product(child).active().first()
        if own is not None and own != shared and product_is_available(child, request):
            choices.append((adapter.name(child), tryon_widget(context, child, own)))
    html = render_to_string(
        "django_tryon/oscar/catalogue/variants.html",
        {"shared": tryon_widget(context, product) if shared else "", "choices": choices},
    )
    return mark_safe(html)  # noqa: S308 - rendered by the template engine, escaped there
