from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("tryon/", include("django_tryon.urls")),
    # The example shop's pages (catalog is in INSTALLED_APPS), for browser tests of the admin flow.
    path("", include("catalog.urls")),
]
