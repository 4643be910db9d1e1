"""``{% load tryon %}``: ``{% tryon_widget product %}``, ``{% tryon_gallery product %}``.

The widget's JS and CSS are linked by the first widget on the page (or earlier, in the
``<head>``, by ``{% tryon_assets %}``); later widgets on the same page don't repeat them.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django import template
from django.db import models
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ..adapters import CartForm, get_adapter
from ..conf import tryon_settings
from ..models import Garment
from ..services import gallery, looks, shopper

register = template.Library()

ASSETS_FLAG = "_tryon_assets_rendered"
# The browser re-encodes photos to at most this many bytes before upload.
UPLOAD_TARGET_BYTES = 1_500_000


def _first_on_page(context: template.Context) -> bool:
    """True the first time per request (or per render, without a request)."""
    request = context.get("request")
    if request is None:
        done = bool(context.render_context.get(ASSETS_FLAG, False))
        context.render_context[ASSETS_FLAG] = True
        return not done
    done = getattr(request, ASSETS_FLAG, False)
    setattr(request, ASSETS_FLAG, True)
    return not done


def _assets_html() -> str:
    return (
        f'<link rel="stylesheet" href="{static("django_tryon/tryon.css")}">'
        f'<script src="{static("django_tryon/tryon.js")}" defer></script>'
    )


@register.simple_tag(takes_context=True)
def tryon_assets(context: template.Context) -> SafeString:
    """The widget's stylesheet and script, for the ``<head>`` (optional)."""
    return mark_safe(_assets_html() if _first_on_page(context) else "")  # noqa: S308


def widget_strings() -> dict[str, str]:
    """Texts the script shows, translated here: the script itself holds no language."""
    limit_mb = tryon_settings.MAX_UPLOAD_BYTES // 2**20
    return {
        "preparing": _("Preparing your photo…"),
        "uploading": _("Uploading your photo…"),
        "queued": _("Waiting for our try-on studio…"),
        "generating": _("Creating your picture…"),
        "almost_done": _("Almost done…"),
        "succeeded": _("Your try-on is ready."),
        "canceled": _("Canceled."),
        "elapsed": _("Elapsed time: {time}"),
        "choose_again": _("Choose another photo"),
        "photo_required": _("Please choose a photo of yourself first."),
        "consent_required": _("Please agree to how your photo is used before continuing."),
        "file_too_large": _("The file is too large ({size} MB); the limit is %(limit)d MB.")
        % {"limit": limit_mb},
        "not_an_image": _("This file is not a picture. Please use a JPEG, PNG or WebP photo."),
        "network": _("We couldn't reach the shop. Please check your connection and try again."),
        "generic": _("Sorry, something went wrong. Please try again."),
        "deleting": _("Deleting…"),
        "delete_failed": _("We couldn't delete your photo just now. Please try again."),
        "share_title": _("My try-on"),
        "look_generating": _("Putting the outfit together…"),
    }


def events_url() -> str | None:
    """Where the widget sends its events (view, open, result, add_to_cart); None: nowhere."""
    try:
        return reverse("django_tryon:shopper-events")
    except NoReverseMatch:
        return None


def cart_form(product: models.Model, request: Any, uid: str) -> CartForm | None:
    """The shop's add-to-cart form for the result step (the adapter's), ids made unique."""
    form = get_adapter().add_to_cart_form(product, request)
    if form is not None and form.form is not None:
        form.form.auto_id = f"{uid}-cart-%s"  # the product page may show the same form
    return form


def look_carts(offered: list[looks.Look], request: Any, uid: str) -> list[dict[str, Any]]:
    """The add-to-cart form of each garment "Complete the look" offers (those the shop has)."""
    found = []
    for look in offered:
        form = cart_form(look.product, request, f"{uid}-{look.garment.pk}")
        if form is not None:
            product = shopper.product_label(look.product)
            found.append(
                {"garment": look.garment.pk, "product": product, "name": look.name, "cart": form}
            )
    return found


@register.simple_tag(takes_context=True)
def tryon_widget(
    context: template.Context,
    product: models.Model,
    garment: Garment | None = None,
    outfit_with: Iterable[Any] | None = None,
) -> SafeString:
    """A "Try it on" button and its dialog; nothing when the product has no active garment.

    ``outfit_with``: the products offered to "Complete the look" from a result (a
    queryset or a list); without it, the product adapter's ``outfit_products`` decides.
    """
    if product is None:
        return mark_safe("")
    request = context.get("request")
    if garment is None or not garment.is_active:
        garment = shopper.widget_garment(product, request)
    elif not shopper.product_is_available(product, request):
        garment = None
    if garment is None:
        return mark_safe("")
    uid = f"tryon-{garment.pk}-{secrets.token_hex(3)}"
    name = garment.name or get_adapter().name(product)
    offered = looks.looks_for(product, garment, request, outfit_with)
    config = {
        "createUrl": reverse("django_tryon:shopper-jobs"),
        "visitUrl": reverse("django_tryon:shopper-visit"),
        "garment": garment.pk,
        "product": shopper.product_label(product),
        "maxBytes": tryon_settings.MAX_UPLOAD_BYTES,
        "maxEdge": tryon_settings.PHOTO_MAX_EDGE,
        "targetBytes": UPLOAD_TARGET_BYTES,
        "consentVersion": str(tryon_settings.CONSENT_VERSION),
        "category": garment.category,
        "eventsUrl": events_url(),
        "strings": widget_strings(),
    }
    html = render_to_string(
        "django_tryon/widget.html",
        {
            "uid": uid,
            "config": config,
            "config_id": f"{uid}-config",
            "garment_name": name,
            "category": garment.category,  # the guidance: what photo this garment needs
            "consent_text": shopper.consent_text(),
            "prompt_mode": shopper.prompt_mode_enabled(),
            "looks": offered,
            "look_carts": look_carts(offered, request, uid),
            "max_prompt": shopper.MAX_PROMPT_LENGTH,
            "retention_hours": tryon_settings.SHOPPER_RETENTION_HOURS,
            "cart": cart_form(product, request, uid),
            "assets": _first_on_page(context),
            "css_url": static("django_tryon/tryon.css"),
            "js_url": static("django_tryon/tryon.js"),
        },
        request=request,
    )
    return mark_safe(html)  # noqa: S308 - rendered by the template engine, escaped there


@register.simple_tag(takes_context=True)
def tryon_gallery(
    context: template.Context, product: models.Model, limit: int = gallery.LIMIT
) -> SafeString:
    """The merchant's featured try-ons of this product; nothing when there are none."""
    if product is None or not shopper.product_is_available(product, context.get("request")):
        return mark_safe("")
    items = gallery.gallery_items(product, limit=limit, request=context.get("request"))
    if not items:
        return mark_safe("")
    html = render_to_string(
        "django_tryon/gallery.html",
        {
            "items": items,
            "product": product,
            "assets": _first_on_page(context),
            "css_url": static("django_tryon/tryon.css"),
            "js_url": static("django_tryon/tryon.js"),
        },
        request=context.get("request"),
    )
    return mark_safe(html)  # noqa: S308
