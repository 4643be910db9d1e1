"""Changelist filters of the try-on admin that Django doesn't have built in."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..adapters import get_adapter
from ..conf import tryon_settings
from ..lookups import object_or_none, parse_id
from ..models import Category, Garment, ModelPhoto
from ..providers import UnknownProvider, get_provider


class ProviderFilter(admin.SimpleListFilter):
    """The configured provider aliases, by name: no query to list them."""

    title = _("provider")
    parameter_name = "provider"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        choices = []
        for alias in tryon_settings.provider_aliases():
            try:
                choices.append((alias, f"{get_provider(alias).display_name} ({alias})"))
            except UnknownProvider:  # pragma: no cover - configured aliases resolve
                choices.append((alias, alias))
        return choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(provider=value) if value else queryset


class SuitsCategoryFilter(admin.SimpleListFilter):
    title = _("suits")
    parameter_name = "suits"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return Category.choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value in Category.values:
            return queryset.filter(categories__contains=value)
        return queryset


class ContextFilter(admin.SimpleListFilter):
    """A filter that appears only while it is applied, e.g. from a link "results of product X".

    It has no choices of its own to offer, so it stays out of the sidebar until a link sets
    it; then it names what the list is narrowed to, with "All" to widen it again.
    """

    def label(self, value: str) -> str | None:
        raise NotImplementedError

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = self.value()
        label = self.label(value) if value else None
        return [(value, label)] if value and label else []


class BatchFilter(ContextFilter):
    title = _("batch")
    parameter_name = "batch"

    def label(self, value: str) -> str | None:
        return _("Batch #%(id)s") % {"id": value} if parse_id(value) else None

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        batch = parse_id(self.value())
        return queryset.filter(batch_id=batch) if batch else queryset


class RelatedContextFilter(ContextFilter):
    """``?<parameter>=<pk>``: the jobs of one garment or one model photo."""

    model: type[Garment] | type[ModelPhoto]

    def label(self, value: str) -> str | None:
        found = object_or_none(self.model.objects.all(), value)
        return str(found) if found is not None else None

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        pk = parse_id(self.value())
        return queryset.filter(**{f"{self.parameter_name}_id": pk}) if pk else queryset


class GarmentFilter(RelatedContextFilter):
    title = _("garment")
    parameter_name = "garment"
    model = Garment


class ModelPhotoFilter(RelatedContextFilter):
    title = _("model photo")
    parameter_name = "model_photo"
    model = ModelPhoto


class ProductFilter(ContextFilter):
    """``?product=<content type id>-<product id>``: the jobs of one product's garments."""

    title = _("product")
    parameter_name = "product"

    @staticmethod
    def parse(value: str) -> tuple[int, str] | None:
        content_type, _sep, object_id = value.partition("-")
        type_id = parse_id(content_type)
        return (type_id, object_id) if type_id and object_id else None

    def label(self, value: str) -> str | None:
        parsed = self.parse(value)
        if parsed is None:
            return None
        try:
            product_model = ContentType.objects.get_for_id(parsed[0]).model_class()
        except ContentType.DoesNotExist:
            return None
        if product_model is None:
            return None
        product = object_or_none(product_model._default_manager.all(), parsed[1])
        return get_adapter().name(product) if product is not None else None

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        parsed = self.parse(self.value() or "")
        if parsed is None:
            return queryset
        return queryset.filter(garment__content_type_id=parsed[0], garment__object_id=parsed[1])


def product_filter_value(content_type_id: int, object_id: Any) -> str:
    return f"{content_type_id}-{object_id}"
