"""The Oscar app: a dashboard app (permissions, navigation), and the hooks into Oscar's
own pages installed on ``ready()``."""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext_lazy as _
from oscar.core.application import OscarDashboardConfig

# Oscar's dashboard rule: a list is AND, a tuple of lists is OR. Staff, plus the model
# permission the page needs (the same ones the Django admin's try-on pages ask for).
STAFF = "is_staff"


class TryOnOscarConfig(OscarDashboardConfig):
    default = True  # the module imports Oscar's base class too
    name = "django_tryon.contrib.oscar"
    label = "tryon_oscar"
    verbose_name = _("Try-on for django-oscar")
    namespace = "tryon_oscar"
    default_auto_field = "django.db.models.BigAutoField"

    default_permissions = [STAFF, "django_tryon.view_tryonjob"]
    permissions_map = {
        "tryon-jobs": [STAFF, "django_tryon.view_tryonjob"],
        "tryon-batch": [STAFF, "django_tryon.view_tryonjob"],
        "tryon-batch-status": [STAFF, "django_tryon.view_tryonjob"],
        "tryon-generate": [STAFF, "django_tryon.generate_tryonjob"],
        "tryon-model-photos": [STAFF, "django_tryon.view_modelphoto"],
        "tryon-product": [STAFF, "django_tryon.view_garment"],
        "tryon-image": [STAFF],
        "tryon-conversions": [STAFF, "django_tryon.view_tryonjob"],
        "tryon-conversions-export": [STAFF, "django_tryon.view_tryonjob"],
    }

    def ready(self) -> None:
        from . import integration

        integration.install()

    def get_urls(self) -> list[Any]:
        from . import views

        urls = [
            path("jobs/", views.JobListView.as_view(), name="tryon-jobs"),
            path("batches/<int:pk>/", views.BatchView.as_view(), name="tryon-batch"),
            path(
                "batches/<int:pk>/status.json",
                views.batch_status_json,
                name="tryon-batch-status",
            ),
            path("generate/", views.GenerateView.as_view(), name="tryon-generate"),
            path("model-photos/", views.ModelPhotoListView.as_view(), name="tryon-model-photos"),
            path("products/<int:pk>/", views.ProductTryOnView.as_view(), name="tryon-product"),
            path("images/<str:kind>/<int:pk>/", views.image, name="tryon-image"),
            path("conversions/", views.ConversionReportView.as_view(), name="tryon-conversions"),
            path(
                "conversions/export.csv",
                views.conversions_export,
                name="tryon-conversions-export",
            ),
        ]
        return self.post_process_urls(urls)
