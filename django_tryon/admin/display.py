"""Small HTML pieces of the try-on admin: thumbnails, status badges, categories, durations."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from ..adapters import get_adapter
from ..models import Category, Status

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Thumbnail sizes, in CSS pixels (the served thumbnails are larger, for dense screens).
SIZES = ("sm", "md", "lg")


def thumbnail(src: str, alt: StrOrPromise, *, size: str = "sm", href: str = "") -> SafeString:
    """An image from one of our preview URLs, lazily loaded; a link when ``href`` is given."""
    if not src:
        return placeholder(_("No image"), size=size)
    image = format_html(
        '<img class="tryon-thumb tryon-thumb--{}" src="{}" alt="{}" loading="lazy" '
        'decoding="async">',
        size,
        src,
        alt,
    )
    if href:
        return format_html('<a class="tryon-thumb-link" href="{}">{}</a>', href, image)
    return image


def placeholder(text: StrOrPromise, *, size: str = "sm", title: StrOrPromise = "") -> SafeString:
    """Stands where an image can't be shown (none yet, or not for this user)."""
    return format_html(
        '<span class="tryon-thumb tryon-thumb--{} tryon-thumb--empty" title="{}">{}</span>',
        size,
        title or text,
        text,
    )


def status_badge(status: str, *, title: str = "") -> SafeString:
    label = Status(status).label if status in Status.values else status
    return format_html(
        '<span class="tryon-badge tryon-badge--{}" title="{}">{}</span>', status, title, label
    )


def category_list(values: Iterable[str]) -> str:
    labels = {value: str(label) for value, label in Category.choices}
    return ", ".join(labels.get(value, value) for value in values)


def category_badges(values: Iterable[str]) -> SafeString:
    labels = {value: label for value, label in Category.choices}
    return format_html_join(
        "",
        '<span class="tryon-chip">{}</span>',
        ((labels.get(value, value),) for value in values),
    )


def duration(start: datetime | None, end: datetime | None) -> str:
    """``"4.2 s"``, ``"3 min 5 s"``, ``"2 h 10 min"``; empty when either end is missing."""
    if start is None or end is None:
        return ""
    seconds = max(0.0, (end - start).total_seconds())
    if seconds < 60:
        return _("%(s).1f s") % {"s": seconds}
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return _("%(m)d min %(s)d s") % {"m": minutes, "s": seconds}
    hours, minutes = divmod(minutes, 60)
    return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}


def results_link(site: str, count: int, params: dict[str, Any]) -> SafeString | int:
    """``count`` linking to those results in the job list, narrowed by ``params``."""
    if not count:
        return 0
    query = urlencode({"status__exact": Status.SUCCEEDED, **params})
    url = reverse(f"{site}:django_tryon_tryonjob_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, query, count)


def admin_link(site: str, obj: Any, name: str | None = None) -> SafeString | str:
    """A link to ``obj``'s page in admin site ``site`` when it has one there, else its name."""
    if obj is None:
        return "—"
    name = str(obj) if name is None else name
    opts = obj._meta
    try:
        url = reverse(f"{site}:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return name
    return format_html('<a href="{}">{}</a>', url, name)


def product_link(site: str, product: Any) -> SafeString | str:
    """``admin_link`` for a shop's product, named by the product adapter."""
    if product is None:
        return "—"
    return admin_link(site, product, get_adapter().name(product))


def short_time(moment: datetime) -> SafeString:
    """``22 Nov 14:05`` (the year too when it isn't this one), the full date on hover."""
    local = timezone.localtime(moment)
    day = "j M" if local.year == timezone.localtime().year else "j M Y"
    # Day and time on two lines: a narrow column leaves room for the others at 1280 px.
    return format_html(
        '<time datetime="{}" title="{}">{}<br>{}</time>',
        local.isoformat(),
        date_format(local, "DATETIME_FORMAT"),
        date_format(local, day),
        date_format(local, "H:i"),
    )
