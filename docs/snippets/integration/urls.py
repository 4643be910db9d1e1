from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("tryon/", include("django_tryon.urls")),  # the shopper API and provider webhooks
    path("", include("catalog.urls")),  # your shop's own pages
]
