"""The product page gallery: the merchant's featured try-ons, shown to everyone for free.

Only results made from the merchant's own model photos are ever shown: a shopper's job
can't end up in a public gallery even if someone ticks "featured" on it. Only products
the widget offers (``product_is_available``) have a gallery: unpublishing a product takes
its pictures down at once, images included. Images are served by our own view at a few
fixed widths (for ``srcset``), resized once and kept in the cache, so the gallery works
the same on local files and on private S3 buckets.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import caches
from django.db import models
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from ..adapters import get_adapter
from ..conf import tryon_settings
from ..models import Source, Status, TryOnJob
from ..storage import get_private_storage
from .shopper import product_is_available

WIDTHS = (320, 640, 960)
LIMIT = 12
CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class GalleryItem:
    token: str
    src: str
    srcset: str
    alt: str


def public_featured() -> models.QuerySet[TryOnJob]:
    return (
        TryOnJob.objects.live()
        .filter(is_featured=True, status=Status.SUCCEEDED, garment__is_active=True)
        .exclude(source=Source.SHOPPER)
        .exclude(result="")
    )


def image_url(token: str, width: int) -> str:
    return reverse("django_tryon:gallery-image", args=[token, width])


def gallery_items(
    product: models.Model, limit: int = LIMIT, request: HttpRequest | None = None
) -> list[GalleryItem]:
    if not product_is_available(product, request):
        return []
    adapter = get_adapter()
    featured = TryOnJob.objects.featured_for(product)
    parent = adapter.parent(product)
    if parent is not None and not featured.exists():
        featured = TryOnJob.objects.featured_for(parent)  # a variant shows its parent's
    jobs = (
        featured.exclude(source=Source.SHOPPER)
        .exclude(result="")
        .select_related("garment")
        .only("token", "garment__name", "featured_order", "finished_at")[:limit]
    )
    name = adapter.name(product)
    items = []
    for job in jobs:
        garment = (job.garment.name if job.garment else "") or name
        items.append(
            GalleryItem(
                token=job.token,
                src=image_url(job.token, WIDTHS[1]),
                srcset=", ".join(f"{image_url(job.token, w)} {w}w" for w in WIDTHS),
                alt=_("%(garment)s worn by one of our models") % {"garment": garment},
            )
        )
    return items


@dataclass(frozen=True)
class GalleryImage:
    """A resized featured result; ``etag`` changes whenever the stored file does."""

    etag: str
    load: Callable[[], bytes]


def gallery_image(
    token: str, width: int, request: HttpRequest | None = None
) -> GalleryImage | None:
    """A featured result at ``width`` px (never upscaled), or None.

    None too when the product isn't available (anymore): asked on every request, so
    unpublishing takes the picture down at once. The JPEG bytes are made (or read from
    the cache) only by ``load()``, so a browser revalidating its copy costs no image work.
    """
    if width not in WIDTHS:
        return None
    job = (
        public_featured()
        .filter(token=token)
        .select_related("garment")
        .only("result", "garment__content_type", "garment__object_id")
        .first()
    )
    if job is None or job.garment is None:
        return None
    if not product_is_available(job.garment.product, request):
        return None
    name = str(job.result.name)
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    key = f"tryon:gallery:{token}:{width}:{digest}"

    def load() -> bytes:
        cache = caches[tryon_settings.CACHE]
        data = cache.get(key)
        if data is None:
            data = _resized(name, width)
            cache.set(key, data, CACHE_SECONDS)
        return bytes(data)

    return GalleryImage(etag=f'"{digest}-{width}"', load=load)


def _resized(name: str, width: int) -> bytes:
    with get_private_storage().open(name, "rb") as handle, Image.open(handle) as image:
        picture = ImageOps.exif_transpose(image).convert("RGB")
    if picture.width > width:
        picture.thumbnail((width, width * 4), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=82, optimize=True, progressive=True)
    return out.getvalue()
