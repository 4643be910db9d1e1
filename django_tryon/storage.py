"""Where the app keeps files: the ``TRYON["STORAGE"]`` alias of ``settings.STORAGES``.

A ``FileField(storage=callable)`` calls the callable once, at import; ``get_storage``
therefore returns a proxy that looks the alias up on every operation, so tests and
``override_settings(STORAGES=...)`` can swap the backend underneath.
Stored names are random: nothing a user typed or uploaded ever reaches a path.
"""

from __future__ import annotations

import secrets
from contextlib import suppress
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import Storage, storages
from django.utils import timezone
from django.utils.deconstruct import deconstructible

from .conf import tryon_settings
from .errors import StorageError

__all__ = [
    "AliasStorage",
    "StorageError",
    "current_storage",
    "delete_quietly",
    "get_storage",
    "random_name",
    "save_stream",
    "upload_to",
]


def current_storage() -> Storage:
    return storages[tryon_settings.STORAGE]


class AliasStorage(Storage):
    """Forwards every call to ``storages[TRYON["STORAGE"]]`` as it is at call time."""

    def __getattr__(self, name: str) -> Any:
        return getattr(current_storage(), name)

    # Storage defines these itself, so __getattr__ alone would not forward them.
    def open(self, name: str, mode: str = "rb") -> File:
        return current_storage().open(name, mode)

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        return current_storage().save(name, content, max_length=max_length)

    def delete(self, name: str) -> None:
        current_storage().delete(name)

    def exists(self, name: str) -> bool:
        return current_storage().exists(name)

    def url(self, name: str | None) -> str:
        return current_storage().url(name)

    def size(self, name: str) -> int:
        return current_storage().size(name)

    def path(self, name: str) -> str:
        return current_storage().path(name)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        return current_storage().listdir(path)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return current_storage().get_available_name(name, max_length=max_length)

    def generate_filename(self, filename: Any) -> str:
        return current_storage().generate_filename(filename)

    def get_valid_name(self, name: str) -> str:
        return current_storage().get_valid_name(name)

    def get_alternative_name(self, file_root: str, file_ext: str) -> str:
        return current_storage().get_alternative_name(file_root, file_ext)


_proxy = AliasStorage()


def get_storage() -> Storage:
    return _proxy


EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


def random_name(folder: str, extension: str) -> str:
    """``tryon/<folder>/2026/11/<128 random bits>.<ext>``."""
    day = timezone.now().strftime("%Y/%m")
    return f"{tryon_settings.STORAGE_PREFIX}/{folder}/{day}/{secrets.token_urlsafe(16)}.{extension}"


@deconstructible
class upload_to:
    """``upload_to`` that throws the uploaded name away, keeping only a safe extension."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def __call__(self, instance: Any, filename: str) -> str:
        ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if ext == "jpeg":
            ext = "jpg"
        return random_name(self.folder, ext if ext in EXTENSIONS.values() else "bin")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, upload_to) and other.folder == self.folder


def save_stream(folder: str, extension: str, stream: IO[bytes]) -> str:
    """Save a file object to storage under a random name, without reading it whole.

    A save that fails leaves nothing behind (a local disk keeps what it wrote so far) and
    raises ``StorageError``, so callers treat every backend's failure alike.
    """
    name = random_name(folder, extension)
    storage = get_storage()
    try:
        return storage.save(name, File(stream, name=name))
    except Exception as exc:
        with suppress(Exception):  # the storage may be gone altogether (a deleted bucket)
            storage.delete(name)
        raise StorageError(f"{type(exc).__name__} while saving to the storage") from exc


def delete_quietly(name: str | None) -> None:
    if name:
        with suppress(FileNotFoundError):
            get_storage().delete(name)
