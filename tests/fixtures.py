"""Shared fixtures: images, a product with garments, model photos, queue driving."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.base import ContentFile
from django.test import Client
from PIL import Image, ImageDraw

from django_tryon.models import Garment, ModelPhoto, Source, Status, TryOnJob
from django_tryon.testing.queue import drive_pipeline, run_queued_tasks


def make_image(size=(640, 800), fmt="JPEG", color=(180, 150, 120), person=True) -> bytes:
    """A picture with enough structure to pass the photo quality checks."""
    image = Image.new("RGB", size, (235, 235, 240))
    draw = ImageDraw.Draw(image)
    w, h = size
    if person:
        draw.ellipse((w * 0.38, h * 0.08, w * 0.62, h * 0.3), fill=color)  # head
        draw.rectangle((w * 0.3, h * 0.3, w * 0.7, h * 0.7), fill=(60, 90, 160))  # torso
        draw.rectangle((w * 0.33, h * 0.7, w * 0.47, h * 0.98), fill=(40, 40, 60))
        draw.rectangle((w * 0.53, h * 0.7, w * 0.67, h * 0.98), fill=(40, 40, 60))
    else:
        draw.rectangle((w * 0.2, h * 0.2, w * 0.8, h * 0.8), fill=color)
    for i in range(0, w, 40):  # texture, so the photo isn't "blurred"
        draw.line((i, 0, i, h // 20), fill=(0, 0, 0), width=2)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


@pytest.fixture
def jpeg_photo() -> bytes:
    return make_image()


@pytest.fixture
def product(db):
    from tests.shop.models import Product

    return Product.objects.create(name="Linen shirt")


def create_garment(product, **fields) -> Garment:
    fields = {
        "name": "Linen shirt",
        "category": "upper_body",
        "description": "white linen shirt",
        **fields,
    }
    g = Garment(product=product, **fields)
    g.image.save(
        "shirt.png",
        ContentFile(make_image((400, 400), "PNG", (200, 40, 40), person=False)),
        save=False,
    )
    g.save()
    return g


def create_featured_result(garment, **fields) -> TryOnJob:
    """A merchant's succeeded try-on of ``garment``, featured on its product page."""
    return TryOnJob.objects.create(
        garment=garment,
        category=garment.category,
        provider="sandbox",
        status=Status.SUCCEEDED,
        source=Source.ADMIN,
        is_featured=True,
        result="tryon/results/x.jpg",
        **fields,
    )


def create_model_photo(**fields) -> ModelPhoto:
    m = ModelPhoto(**{"name": "Alex", **fields})
    m.image.save("alex.jpg", ContentFile(make_image()), save=False)
    m.save()
    return m


@pytest.fixture
def garment(product) -> Garment:
    return create_garment(product)


@pytest.fixture
def model_photo(db) -> ModelPhoto:
    return create_model_photo()


@pytest.fixture
def run_tasks():
    """``run_tasks()`` runs every queued task, as a worker would, until the queue is empty."""
    return run_queued_tasks


@pytest.fixture
def drive():
    """``drive()`` runs tasks and ticks until no job is active; returns jobs left active."""
    return drive_pipeline


@pytest.fixture(autouse=True)
def _english_by_default():
    """Each test starts in English: a request in another language leaves it active (LocaleMiddleware)."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture
def staff_client(db) -> Callable[..., Client]:
    """``staff_client("django_tryon.view_tryonjob", ...)``: a logged-in staff user with those perms."""

    def make(*perms: str, staff: bool = True) -> Client:
        user = User.objects.create_user(
            f"staff{User.objects.count()}", password="x", is_staff=staff
        )
        for perm in perms:
            app_label, codename = perm.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        client = Client()
        client.force_login(user)
        return client

    return make


@contextmanager
def decoders_busy() -> Iterator[None]:
    """Every decode thread of this process busy for the block (set MAX_CONCURRENT_DECODES
    to 1 first): whatever else wants to decode meanwhile waits."""
    from django_tryon.imaging import decoding

    holding, done = threading.Event(), threading.Event()

    def decode_for_long() -> None:
        holding.set()
        done.wait(5)

    thread = threading.Thread(target=decoding, args=(decode_for_long,))
    thread.start()
    holding.wait(5)
    try:
        yield
    finally:
        done.set()
        thread.join()
