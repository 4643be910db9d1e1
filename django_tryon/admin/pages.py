"""What every page of the try-on admin shares: the site's context and the breadcrumbs."""

from __future__ import annotations

from typing import Any

import django
from django.contrib.admin import AdminSite
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext

# Django 6's admin marks breadcrumbs up as a list (``ol.breadcrumbs``) and puts the object
# tools beside the title, outside the content block; earlier versions don't.
DJANGO_6_LAYOUT = django.VERSION >= (6, 0)


def render_page(
    site: AdminSite,
    request: HttpRequest,
    template: str | list[str],
    context: dict[str, Any],
    *,
    crumbs: list[tuple[str, str]],
) -> TemplateResponse:
    """``template`` in the admin's frame; ``crumbs`` are (url, label), the last one the page."""
    request.current_app = site.name
    return TemplateResponse(
        request,
        template,
        {
            **site.each_context(request),
            "subtitle": None,
            "tryon_crumbs": [(reverse(f"{site.name}:index"), gettext("Home")), *crumbs],
            "tryon_django6_layout": DJANGO_6_LAYOUT,
            **context,
        },
    )


def model_crumbs(site: AdminSite, opts: Any) -> list[tuple[str, str]]:
    """App and model changelist crumbs for ``opts``."""
    app = reverse(f"{site.name}:app_list", kwargs={"app_label": opts.app_label})
    changelist = reverse(f"{site.name}:{opts.app_label}_{opts.model_name}_changelist")
    return [
        (app, str(opts.app_config.verbose_name)),
        (changelist, str(opts.verbose_name_plural).capitalize()),
    ]
