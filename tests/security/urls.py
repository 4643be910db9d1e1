"""Every URL the app serves (shopper API, webhooks, admin pages and actions), enumerated.

The probes don't list endpoints by hand: they walk the URL resolver and the admin site's
registry, so an endpoint added later is probed too. ``Shop`` makes one of everything the
URLs point at (a product, garment, model photo, merchant job, shopper job, batch, a paused
alias) and fills each pattern's parameters with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.urls import URLPattern, URLResolver, get_resolver

from django_tryon.models import Garment, ModelPhoto, ProviderState, TryOnBatch, TryOnJob

APPS = ("django_tryon",)


@dataclass(frozen=True)
class Route:
    pattern: str  # e.g. "admin/django_tryon/tryonjob/<path:object_id>/change/"
    name: str | None
    module: str

    @property
    def is_admin(self) -> bool:
        return self.pattern.startswith("admin/")

    @property
    def is_webhook(self) -> bool:
        return "/webhooks/" in self.pattern


def _walk(patterns: list[Any], prefix: str = "") -> list[Route]:
    routes = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            routes += _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            module = getattr(entry.callback, "__module__", "")
            routes.append(Route(prefix + str(entry.pattern), entry.name, module))
    return routes


def admin_models() -> list[Any]:
    """Models whose admin the app provides or extends (ours, and products with the mixin)."""
    from django_tryon.admin import TryOnProductAdminMixin

    return [
        model
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in APPS or isinstance(model_admin, TryOnProductAdminMixin)
    ]


def routes() -> list[Route]:
    """The app's routes: under tryon/, and the admin pages of ``admin_models()``."""
    prefixes = [f"admin/{m._meta.app_label}/{m._meta.model_name}/" for m in admin_models()]
    found = []
    for route in _walk(get_resolver().url_patterns):
        if route.pattern.startswith("tryon/") or any(route.pattern.startswith(p) for p in prefixes):
            if route.name is None and route.module == "django.views.generic.base":
                continue  # admin's "<object_id>/" redirect to the change page
            found.append(route)
    return found


class Shop:
    """One of everything, for filling URL parameters; made inside a test with the db."""

    def __init__(self, garment: Garment, model_photo: ModelPhoto, shopper_job: TryOnJob) -> None:
        from django_tryon.services.jobs import _request_tryon  # shopper plumbing: source, owner
        from django_tryon.testing.queue import drive_pipeline

        self.garment, self.model_photo, self.shopper_job = garment, model_photo, shopper_job
        self.job = _request_tryon(garment, model_photo, source="admin", options={"probe": 1})
        drive_pipeline(timeout=5)
        self.job.refresh_from_db()
        from decimal import Decimal

        from catalog.models import Product

        # The example shop's product, whose admin the app extends (TryOnProductAdminMixin).
        self.product = Product.objects.create(name="Probe", slug="probe", price=Decimal("9.00"))
        self.batch = TryOnBatch.objects.create(provider="sandbox")
        TryOnJob.objects.filter(pk=self.job.pk).update(batch=self.batch)
        ProviderState.objects.create(
            alias="sandbox", paused_at=self.job.created_at, pause_code="auth_failed"
        )

    def object_for(self, route: Route) -> Any:
        for model, obj in (
            ("garment", self.garment),
            ("modelphoto", self.model_photo),
            ("tryonjob", self.shopper_job if "preview" in route.pattern else self.job),
        ):
            if f"/{model}/" in route.pattern:
                return obj
        return self.product

    def object_for_model(self, model: Any) -> Any:
        by_model = {Garment: self.garment, ModelPhoto: self.model_photo, TryOnJob: self.job}
        return by_model.get(model, self.product)

    def url(self, route: Route) -> str:
        obj = self.object_for(route)
        values = {
            "object_id": str(obj.pk),
            "batch_id": str(self.batch.pk),
            "token": self.shopper_job.token,
            "width": "320",
            "alias": "sandbox",
            "field": "person_image" if isinstance(obj, TryOnJob) else "image",
            "app_label": "django_tryon",
        }
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], route.pattern)
        url = url.replace("^", "").replace("$", "")
        return "/" + url

    def state(self) -> tuple[Any, ...]:
        """What an unauthorised request must not change."""
        jobs = tuple(
            TryOnJob.objects.order_by("pk").values_list(
                "pk", "status", "is_featured", "featured_order", "result", "error_code"
            )
        )
        return (
            jobs,
            tuple(Garment.objects.order_by("pk").values_list("pk", "name", "is_active", "image")),
            tuple(ModelPhoto.objects.order_by("pk").values_list("pk", "name", "is_active")),
            tuple(ProviderState.objects.order_by("alias").values_list("alias", "paused_at")),
            TryOnBatch.objects.count(),
        )


def staff(name: str, *perms: str, superuser: bool = False) -> User:
    user = User.objects.create_user(name, password="x", is_staff=True, is_superuser=superuser)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def actions() -> list[tuple[Any, str]]:
    """(model, action name) of every admin action on the app's changelists."""
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    found = []
    for model in admin_models():
        model_admin = admin.site._registry[model]
        for name in model_admin.get_actions(request):
            found.append((model, name))
    return found
