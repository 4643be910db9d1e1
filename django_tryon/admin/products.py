"""Try-on on the shop's own product admin, in one line.

When another app already registered the product's ``ModelAdmin`` (django-oscar does),
add try-on to it, in your app's ``admin.py``:

    from django_tryon.admin import add_tryon_to_admin

    add_tryon_to_admin(Product)

For a ``ModelAdmin`` of your own, mix it in:

    from django_tryon.admin import TryOnProductAdminMixin

    @admin.register(Product)
    class ProductAdmin(TryOnProductAdminMixin, admin.ModelAdmin):
        ...

The product page gets its garments inline, the changelist gets the "Generate try-ons"
action and a "Try-ons" column: each product's number of results, counted in the page's
own query. The shop's product model is not changed in any way.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..cascades import watch_product_model
from .annotations import product_result_count
from .display import results_link
from .filters import ProductFilter, product_filter_value
from .garments import GarmentInline
from .generate import GenerateTryOnsMixin, generate_tryons
from .outfits import generate_outfit

RESULTS_ANNOTATION = "tryon_results_count"


class TryOnProductAdminMixin(GenerateTryOnsMixin):
    """Garments inline, "Generate try-ons", and a results column for a product ModelAdmin."""

    #: The inline that edits a product's garments; a subclass of ``GarmentInline`` to customise.
    tryon_garment_inline: type[admin.options.InlineModelAdmin] = GarmentInline

    admin_site: Any
    model: Any
    actions: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        watch_product_model(self.model)  # deleting a product deletes its garments
        # ``actions = None`` turns a changelist's actions off: respect it.
        if self.actions is not None and generate_tryons not in self.actions:
            self.actions = [*self.actions, generate_tryons]
        if self.actions is not None and generate_outfit not in self.actions:
            self.actions = [*self.actions, generate_outfit]

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        inlines = list(super().get_inlines(request, obj))  # type: ignore[misc]
        if self.tryon_garment_inline not in inlines:
            inlines.append(self.tryon_garment_inline)
        return inlines

    def get_list_display(self, request: HttpRequest) -> Any:
        display = list(super().get_list_display(request))  # type: ignore[misc]
        return display if "tryon_results" in display else [*display, "tryon_results"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        return queryset.annotate(**{RESULTS_ANNOTATION: product_result_count(self.model)})

    @admin.display(description=_("try-ons"), ordering=RESULTS_ANNOTATION)
    def tryon_results(self, obj: Any) -> Any:
        count = getattr(obj, RESULTS_ANNOTATION, 0)
        content_type = ContentType.objects.get_for_model(self.model)
        return results_link(
            self.admin_site.name,
            count,
            {ProductFilter.parameter_name: product_filter_value(content_type.pk, obj.pk)},
        )


def add_tryon_to_admin(model: type[Model], site: admin.AdminSite | None = None) -> type[Any]:
    """Give the ``ModelAdmin`` registered for ``model`` the garments inline, "Generate
    try-ons" and the results column; register a plain one with them when there is none.

    The registered class is replaced by a subclass of it (``TryOnProductAdminMixin``
    first), so everything it does stays; calling this twice changes nothing. Call it from
    an ``admin.py`` of an app listed after the one that registers the product admin.
    Returns the class now registered.
    """
    site = site or admin.site
    current = site._registry.get(model)
    base = type(current) if current is not None else admin.ModelAdmin
    if issubclass(base, TryOnProductAdminMixin):
        return base
    combined = type(base.__name__, (TryOnProductAdminMixin, base), {"__module__": base.__module__})
    if current is not None:
        site.unregister(model)
    site.register(model, combined)
    return combined
