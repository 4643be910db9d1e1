"""``path("tryon/", include("django_tryon.urls"))``: the shopper JSON API and provider webhooks."""

from django.urls import include, path

app_name = "django_tryon"

urlpatterns = [
    path("", include("django_tryon.api.urls")),
    path("webhooks/", include("django_tryon.webhooks.urls")),
]
