"""Shopper API fixtures: a browser-like client (CSRF enforced) and upload helpers."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from django_tryon.models import TryOnJob
from django_tryon.storage import private_storage
from tests.fixtures import make_image
from tests.reliability.figures import pytest_terminal_summary  # noqa: F401  (FIGURE lines)

CREATE_URL = "/tryon/jobs/"


class Shopper(Client):
    """A browser: a CSRF cookie and the matching header on every unsafe request."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(enforce_csrf_checks=True, **kwargs)
        self.csrf = _get_new_csrf_string()
        self.cookies["csrftoken"] = self.csrf

    def generic(self, method: str, path: str, *args: Any, **extra: Any) -> Any:
        if method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            extra.setdefault("HTTP_X_CSRFTOKEN", self.csrf)
        return super().generic(method, path, *args, **extra)

    def upload(
        self, garment: Any, photo: bytes | None = None, name: str = "me.jpg", **fields: Any
    ) -> Any:
        extra = {k: fields.pop(k) for k in list(fields) if k.startswith("HTTP_")}
        data: dict[str, Any] = {
            "garment": getattr(garment, "pk", garment),
            "consent": "1",
            **fields,
        }
        if photo is not None:
            upload = io.BytesIO(photo)
            upload.name = name
            data["photo"] = upload
        return self.post(CREATE_URL, data, **extra)


@pytest.fixture(autouse=True)
def _fresh_cache_and_storage(settings: Any) -> Iterator[None]:
    # A new in-memory storage per test (changing STORAGES drops the cached backends).
    settings.STORAGES = {**settings.STORAGES}
    caches["default"].clear()
    yield
    caches["default"].clear()


@pytest.fixture
def shopper() -> Shopper:
    return Shopper()


@pytest.fixture
def other_shopper() -> Shopper:
    return Shopper()


@pytest.fixture
def photo() -> bytes:
    return make_image((640, 800))


def stored_names() -> list[str]:
    """Every file under the app's prefix in the private storage (every job's files)."""
    storage = private_storage()
    found: list[str] = []

    def walk(folder: str) -> None:
        try:
            dirs, files = storage.listdir(folder)
        except FileNotFoundError:
            return
        found.extend(f"{folder}/{f}" for f in files)
        for d in dirs:
            walk(f"{folder}/{d}")

    walk("tryon")
    return found


def shopper_files() -> list[str]:
    return [n for n in stored_names() if "/garments/" not in n and "/models/" not in n]


def job_count() -> int:
    return TryOnJob.objects.count()
