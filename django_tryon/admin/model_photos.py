"""Model photos: the merchant's people who wear the products in generated pictures."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from ..models import ModelPhoto
from .annotations import model_photo_result_count
from .display import category_badges, results_link, thumbnail
from .filters import ModelPhotoFilter, SuitsCategoryFilter
from .forms import ModelPhotoForm
from .previews import PreviewMixin


@admin.register(ModelPhoto)
class ModelPhotoAdmin(PreviewMixin, admin.ModelAdmin):
    form = ModelPhotoForm
    list_display = ("thumbnail", "name", "suits", "results", "is_active", "created_at")
    list_display_links = ("thumbnail", "name")
    list_filter = ("is_active", SuitsCategoryFilter, ("created_at", admin.DateFieldListFilter))
    search_fields = ("name",)
    readonly_fields = ("image_preview",)
    fields = ("name", "image_preview", "image", "categories", "is_active")

    class Media:
        css = {"all": ["django_tryon/admin/tryon.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[ModelPhoto]:
        return super().get_queryset(request).annotate(tryon_results=model_photo_result_count())

    @admin.display(description=_("photo"))
    def thumbnail(self, obj: ModelPhoto) -> SafeString:
        return thumbnail(self.preview_url(obj), obj.name)

    @admin.display(description=_("preview"))
    def image_preview(self, obj: ModelPhoto) -> SafeString | str:
        if not obj.pk or not obj.image:
            return "—"
        return thumbnail(
            self.preview_url(obj),
            obj.name,
            size="lg",
            href=self.preview_url(obj, thumbnail=False),
        )

    @admin.display(description=_("suits"))
    def suits(self, obj: ModelPhoto) -> SafeString:
        return category_badges(obj.category_list)

    @admin.display(description=_("try-ons"), ordering="tryon_results")
    def results(self, obj: Any) -> Any:
        return results_link(
            self.admin_site.name, obj.tryon_results, {ModelPhotoFilter.parameter_name: obj.pk}
        )
