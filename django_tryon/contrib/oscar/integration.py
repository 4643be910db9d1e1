"""Hooks into Oscar's own pages, installed by the app's ``ready()`` (Oscar's apps, listed
earlier, are ready by then; their URLs are built later, on first request).

Oscar builds each page from a view class held by its app config, and lets a project
replace those classes (by forking the app). These hooks put a subclass in place instead,
so the shop's own templates and forks keep working:

- the shop's product page renders through a template that extends the page Oscar would
  have chosen and adds the widget (after the basket form) and the gallery (before the
  description);
- the dashboard's product edit page gets a "Try-on" section;
- the dashboard's product list gets the "Generate try-ons" bulk action;
- the checkout's payment view keeps its request for the ``order_placed`` receiver, which
  records every order for the conversion report (``orders``);
- ``OSCAR_DASHBOARD_NAVIGATION`` gets a "Try-on" menu, unless the project put one there.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.template.loader import select_template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from oscar.apps.order.signals import order_placed

from ...cascades import watch_product_model
from . import orders
from .adapter import product_model

SESSION_SELECTION = "tryon_oscar_products"
NAV_URL_PREFIX = "django_tryon:tryon_oscar:"


def url(name: str, *args: Any) -> str:
    return reverse(NAV_URL_PREFIX + name, args=args)


def navigation() -> dict[str, Any]:
    return {
        "label": _("Try-on"),
        "icon": "fas fa-tshirt",
        "children": [
            {"label": _("Try-on jobs"), "url_name": NAV_URL_PREFIX + "tryon-jobs"},
            {"label": _("Model photos"), "url_name": NAV_URL_PREFIX + "tryon-model-photos"},
            {"label": _("Conversion report"), "url_name": NAV_URL_PREFIX + "tryon-conversions"},
        ],
    }


def with_product_page_tags(view_class: Any) -> type:
    class TryOnProductDetailView(view_class):
        """Oscar's product page with the try-on widget and gallery."""

        def get_template_names(self) -> list[str]:
            return ["django_tryon/oscar/catalogue/detail.html"]

        def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
            context = super().get_context_data(**kwargs)
            context["tryon_base_template"] = select_template(super().get_template_names())
            return context

    TryOnProductDetailView.__name__ = view_class.__name__
    return TryOnProductDetailView


def with_product_edit_section(view_class: Any) -> type:
    class TryOnProductCreateUpdateView(view_class):
        """Oscar's product edit page with a "Try-on" section."""

        template_name = "django_tryon/oscar/dashboard/product_update.html"

        def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
            from .views import product_section

            context = super().get_context_data(**kwargs)
            context["tryon_base_template"] = view_class.template_name
            if self.object is not None and self.object.pk:
                context["tryon"] = product_section(self.request, self.object)
            return context

    TryOnProductCreateUpdateView.__name__ = view_class.__name__
    return TryOnProductCreateUpdateView


class GenerateTryOnsAction:
    """The product list's "Generate try-ons" bulk action: on to the confirmation page."""

    label = _("Generate try-ons")

    def __str__(self) -> str:
        return str(self.label)

    def execute(self, request: HttpRequest, objects: Any) -> HttpResponseRedirect:
        # In the session, not the URL: "select all" may mean thousands of products.
        request.session[SESSION_SELECTION] = [
            str(pk) for pk in objects.values_list("pk", flat=True)
        ]
        return HttpResponseRedirect(url("tryon-generate"))


def install() -> None:
    watch_product_model(product_model())

    catalogue = apps.get_app_config("catalogue")
    catalogue.detail_view = with_product_page_tags(catalogue.detail_view)  # type: ignore[attr-defined]

    dashboard = apps.get_app_config("catalogue_dashboard")
    dashboard.product_createupdate_view = with_product_edit_section(  # type: ignore[attr-defined]
        dashboard.product_createupdate_view  # type: ignore[attr-defined]
    )
    list_view = dashboard.product_list_view  # type: ignore[attr-defined]
    # A new dict on the class: Oscar's mixin keeps its own ``actions`` untouched.
    list_view.actions = {**(list_view.actions or {}), "generate_tryons": GenerateTryOnsAction()}

    if apps.is_installed("oscar.apps.checkout"):
        checkout = apps.get_app_config("checkout")
        checkout.payment_details_view = orders.with_request_kept(  # type: ignore[attr-defined]
            checkout.payment_details_view  # type: ignore[attr-defined]
        )
    order_placed.connect(orders.order_placed_receiver, dispatch_uid="django_tryon.oscar.orders")

    nav = list(getattr(settings, "OSCAR_DASHBOARD_NAVIGATION", []))
    if not any(NAV_URL_PREFIX in str(item) for item in nav):
        settings.OSCAR_DASHBOARD_NAVIGATION = [*nav, navigation()]
