from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("tryon/", include("django_tryon.urls")),
    path("", include("catalog.urls")),
]
if settings.DEBUG:
    # Local uploads and try-on results; in production the web server or S3 serves them.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
