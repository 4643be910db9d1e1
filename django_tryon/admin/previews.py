"""Images in the admin, served through each model admin's permission checks.

Garment, model photo and job images are streamed from the app's storage by a view of
their model admin rather than linked with ``storage.url()``: it works the same on local
files and on private buckets, and a shopper's photo can't be reached by anyone without
the permission to see it. File inputs link their "Currently:" file there too
(``PreviewLinksMixin``). Thumbnails are made once and kept in the cache, except for
shoppers' pictures, which are never copied anywhere.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.widgets import AdminFileWidget
from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import NoReverseMatch, URLPattern, path, reverse
from PIL import Image, ImageOps, UnidentifiedImageError

from ..conf import tryon_settings
from ..imaging import sniff_image_format

# Long edge of a thumbnail in pixels: shown at up to 160 CSS px, sharp on dense screens.
THUMB_EDGE = 320
THUMB_CACHE_SECONDS = 3600
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}


def preview_url(site_name: str, obj: Any, field: str = "image", *, thumbnail: bool = True) -> str:
    """URL of ``obj``'s image ``field`` in admin site ``site_name``; "" if no admin serves it."""
    opts = obj._meta
    try:
        url = reverse(
            f"{site_name}:{opts.app_label}_{opts.model_name}_preview", args=[quote(obj.pk), field]
        )
    except NoReverseMatch:
        return ""
    return f"{url}?size=thumb" if thumbnail else url


class PreviewLink:
    """A stored file as a file input shows it: its name, linked to its preview view."""

    def __init__(self, file: FieldFile, url: str) -> None:
        self.file, self.url = file, url

    def __str__(self) -> str:
        return str(self.file)


class PreviewFileWidget(AdminFileWidget):
    """The admin's file input, whose "Currently:" link goes to the preview view.

    Django's own links to ``storage.url()``: a raw storage URL, which a private storage
    doesn't serve (or refuses to make) and which skips the admin's permission checks.
    """

    def __init__(self, site_name: str, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.site_name = site_name

    def is_initial(self, value: Any) -> bool:
        # A stored file (not a new upload), without asking its storage for a URL.
        instance = getattr(value, "instance", None)
        return bool(value and getattr(value, "name", None) and getattr(instance, "pk", None))

    def format_value(self, value: Any) -> Any:
        if not self.is_initial(value):
            return None
        url = preview_url(self.site_name, value.instance, value.field.name, thumbnail=False)
        return PreviewLink(value, url)


class PreviewLinksMixin:
    """File inputs of a ModelAdmin or inline link to the preview views, never to storage."""

    admin_site: Any

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if isinstance(db_field, models.FileField):
            kwargs["widget"] = PreviewFileWidget(self.admin_site.name)
        return super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]


class PreviewMixin(PreviewLinksMixin):
    """Adds ``<pk>/preview/<field>/`` to a ModelAdmin: the image, or ``?size=thumb``."""

    #: Image fields this admin serves.
    preview_fields: tuple[str, ...] = ("image",)

    admin_site: Any
    opts: Any

    def get_urls(self) -> list[URLPattern]:
        name = f"{self.opts.app_label}_{self.opts.model_name}_preview"
        view = self.admin_site.admin_view(self.preview_view)
        return [
            path("<path:object_id>/preview/<str:field>/", view, name=name),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def preview_url(self, obj: Any, field: str = "image", *, thumbnail: bool = True) -> str:
        return preview_url(self.admin_site.name, obj, field, thumbnail=thumbnail)

    def preview_file(self, request: HttpRequest, obj: Any, field: str) -> FieldFile | None:
        """The file ``field`` names on ``obj``, or None when this user may not see it."""
        return getattr(obj, field, None) if field in self.preview_fields else None

    def preview_is_private(self, obj: Any, field: str) -> bool:
        """Private pictures are served, but never cached or thumbnailed into the cache."""
        return False

    def preview_view(self, request: HttpRequest, object_id: str, field: str) -> HttpResponseBase:
        obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if obj is None:
            raise Http404
        if not self.has_view_permission(request, obj):  # type: ignore[attr-defined]
            raise PermissionDenied
        file = self.preview_file(request, obj, field)
        if not file:
            raise Http404
        private = self.preview_is_private(obj, field)
        if request.GET.get("size") == "thumb":
            return thumbnail_response(file, cache=not private)
        return image_response(file)


def _headers(response: HttpResponseBase) -> HttpResponseBase:
    # Stored names are random and never reused, so the browser may keep what it got.
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def image_response(file: FieldFile) -> HttpResponseBase:
    """The stored image, streamed; 404 when it's missing or not an image."""
    if not file.name:
        raise Http404
    try:
        handle = file.storage.open(file.name, "rb")
    except OSError:
        raise Http404 from None
    fmt = sniff_image_format(handle.read(32))
    handle.seek(0)
    if fmt is None:
        handle.close()
        raise Http404
    return _headers(FileResponse(handle, content_type=CONTENT_TYPES[fmt]))


def thumbnail_response(file: FieldFile, *, cache: bool = True) -> HttpResponseBase:
    if not file.name:
        raise Http404
    key = f"tryon:admin-thumb:{THUMB_EDGE}:{hashlib.sha256(file.name.encode()).hexdigest()[:32]}"
    store = caches[tryon_settings.CACHE]
    found = store.get(key) if cache else None
    if found is None:
        found = make_thumbnail(file)
        if found is None:
            raise Http404
        if cache:
            store.set(key, found, THUMB_CACHE_SECONDS)
    data, content_type = found
    return _headers(HttpResponse(data, content_type=content_type))


def make_thumbnail(file: FieldFile, edge: int = THUMB_EDGE) -> tuple[bytes, str] | None:
    """(bytes, content type) of a small copy: PNG when transparent, else JPEG."""
    if not file.name:
        return None
    try:
        with file.storage.open(file.name, "rb") as handle, Image.open(handle) as image:
            if image.width * image.height > tryon_settings.MAX_IMAGE_PIXELS:
                return None
            image.draft("RGB", (edge, edge))  # JPEG decodes at reduced scale: much faster
            picture = ImageOps.exif_transpose(image)
            picture.thumbnail((edge, edge), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            if picture.mode in ("RGBA", "LA", "P"):
                picture.save(out, "PNG", optimize=True)
                return out.getvalue(), "image/png"
            picture.convert("RGB").save(out, "JPEG", quality=82)
            return out.getvalue(), "image/jpeg"
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError):
        return None
