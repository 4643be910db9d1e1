"""``path("tryon/", include("django_tryon.urls"))``: the shopper JSON API and provider webhooks."""

from typing import Any

from django.apps import apps
from django.urls import include, path

app_name = "django_tryon"

urlpatterns = [
    path("", include("django_tryon.api.urls")),
    path("webhooks/", include("django_tryon.webhooks.urls")),
]

# django-oscar's dashboard pages, when django_tryon.contrib.oscar is installed.
if apps.is_installed("django_tryon.contrib.oscar"):
    oscar_dashboard: Any = apps.get_app_config("tryon_oscar")
    urlpatterns.append(path("dashboard/", oscar_dashboard.urls))
