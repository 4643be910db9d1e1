"""Garments: their own admin, and the inline that puts them on the shop's product page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from ..adapters import get_adapter
from ..models import Garment
from .annotations import garment_result_count
from .display import placeholder, product_link, results_link, thumbnail
from .filters import GarmentFilter
from .forms import GarmentForm
from .generate import GenerateTryOnsMixin, generate_tryons
from .outfits import generate_outfit
from .previews import PreviewLinksMixin, PreviewMixin, preview_url

# Apps whose models are never products.
NOT_PRODUCTS = {"admin", "auth", "contenttypes", "sessions", "django_q", "django_tryon"}


def _image_preview(site: str, garment: Garment, size: str) -> SafeString:
    if not garment.pk or not garment.image:
        return placeholder(_("No image"), size=size)
    return thumbnail(
        preview_url(site, garment),
        str(garment),
        size=size,
        href=preview_url(site, garment, thumbnail=False),
    )


class GarmentInline(PreviewLinksMixin, GenericTabularInline):
    """The product's garments, on the shop's own product page."""

    model = Garment
    form = GarmentForm
    ct_field = "content_type"
    ct_fk_field = "object_id"
    fields = ("image_preview", "image", "name", "category", "description", "is_active")
    readonly_fields = ("image_preview",)
    classes = ["tryon-garments"]  # narrower inputs: the row fits the product page at 1280 px
    verbose_name = _("try-on garment")
    verbose_name_plural = _("try-on garments")

    class Media:
        css = {"all": ["django_tryon/admin/tryon.css"]}

    def get_extra(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> int:
        # An empty row to fill in only while the product has no garment yet.
        if obj is None or obj.pk is None:
            return 1
        return 0 if Garment.objects.for_product(obj).exists() else 1

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        category = get_adapter().category(obj) if obj is not None and obj.pk else None
        if not category:
            return formset

        class ImpliedCategoryFormSet(formset):  # type: ignore[misc, valid-type]
            """New rows start with the category the product implies (the adapter's)."""

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                kwargs.setdefault("initial", [{"category": category}] * max(self.extra, 1))
                super().__init__(*args, **kwargs)

        return ImpliedCategoryFormSet

    @admin.display(description=_("preview"))
    def image_preview(self, obj: Garment) -> SafeString:
        return _image_preview(self.admin_site.name, obj, "sm")


@admin.register(Garment)
class GarmentAdmin(GenerateTryOnsMixin, PreviewMixin, admin.ModelAdmin):
    form = GarmentForm
    actions = [generate_tryons, generate_outfit]
    list_display = (
        "thumbnail",
        "__str__",
        "product",
        "category",
        "results",
        "is_active",
        "created_at",
    )
    list_display_links = ("thumbnail", "__str__")
    list_filter = (
        "category",
        "is_active",
        ("content_type", admin.RelatedOnlyFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = ("name", "description", "prompt", "=object_id")
    list_select_related = ("content_type",)
    readonly_fields = ("image_preview", "product_link", "created_at", "updated_at")
    fieldsets = [
        (
            None,
            {"fields": ["product_link", "name", "category", "image_preview", "image", "is_active"]},
        ),
        (_("For the provider"), {"fields": ["description", "prompt"]}),
        (_("Dates"), {"fields": [("created_at", "updated_at")], "classes": ["collapse"]}),
    ]
    add_fieldsets = [
        (
            None,
            {"fields": [("content_type", "object_id"), "name", "category", "image", "is_active"]},
        ),
        (_("For the provider"), {"fields": ["description", "prompt"]}),
    ]

    class Media:
        css = {"all": ["django_tryon/admin/tryon.css"]}

    def get_fieldsets(self, request: HttpRequest, obj: Garment | None = None) -> Any:
        # The product is chosen when adding; later it is a link (move a garment by re-adding it).
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_queryset(self, request: HttpRequest) -> QuerySet[Garment]:
        return (
            super()
            .get_queryset(request)
            .annotate(tryon_results=garment_result_count())
            .prefetch_related("product")  # one query per product model
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "content_type":
            products = [
                model
                for model in self.admin_site._registry
                if model._meta.app_label not in NOT_PRODUCTS
            ]
            kwargs["queryset"] = ContentType.objects.filter(
                pk__in=[ct.pk for ct in ContentType.objects.get_for_models(*products).values()]
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("image"))
    def thumbnail(self, obj: Garment) -> SafeString:
        return thumbnail(self.preview_url(obj), str(obj)) if obj.image else placeholder(_("Prompt"))

    @admin.display(description=_("preview"))
    def image_preview(self, obj: Garment) -> SafeString:
        return _image_preview(self.admin_site.name, obj, "lg")

    @admin.display(description=_("product"))
    def product_link(self, obj: Garment) -> Any:
        return product_link(self.admin_site.name, obj.product)

    @admin.display(description=_("product"))
    def product(self, obj: Garment) -> Any:
        return product_link(self.admin_site.name, obj.product)

    @admin.display(description=_("try-ons"), ordering="tryon_results")
    def results(self, obj: Garment) -> Any:
        count = obj.tryon_results  # type: ignore[attr-defined]
        return results_link(self.admin_site.name, count, {GarmentFilter.parameter_name: obj.pk})
