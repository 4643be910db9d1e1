"""Where the app keeps files: two aliases of ``settings.STORAGES``.

- ``TRYON["STORAGE"]`` holds the merchant's pictures: garment images and model photos.
  They may be public (a product page may link to them).
- ``TRYON["PRIVATE_STORAGE"]`` holds every job's files: the person photo a shopper (or an
  API caller) uploaded, every result and mask. No URL serves them unless the app signs it:
  the app streams them to whoever may see them (the owner, an admin with the permission,
  the gallery's resized copies) or redirects to a short-lived signed URL (private S3).
  When ``STORAGES`` has no such alias, a ``PrivateFileSystemStorage`` in a
  ``tryon-private`` folder next to ``MEDIA_ROOT`` is used. A system check (``tryon.E013``)
  refuses a private storage whose files a URL would serve.

A ``FileField(storage=callable)`` calls the callable once, at import; ``get_storage`` and
``get_private_storage`` therefore return proxies that look the alias up on every operation,
so tests and ``override_settings(STORAGES=...)`` can swap the backend underneath.
Stored names are random: nothing a user typed or uploaded ever reaches a path.
"""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Callable
from contextlib import suppress
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils import timezone
from django.utils.deconstruct import deconstructible

from .conf import tryon_settings
from .errors import StorageError

__all__ = [
    "AliasStorage",
    "PrivateFileSystemStorage",
    "StorageError",
    "current_storage",
    "delete_quietly",
    "get_private_storage",
    "get_storage",
    "private_storage",
    "public_url_reason",
    "random_name",
    "save_stream",
    "upload_to",
]

DEFAULT_PRIVATE_FOLDER = "tryon-private"


class PrivateFileSystemStorage(FileSystemStorage):
    """Files on local disk that no URL serves: the app streams them to who may see them.

    ``url()`` refuses (Django's ``FileSystemStorage`` would answer ``MEDIA_URL + name``),
    so nothing can link to a file by mistake. Keep ``location`` outside ``MEDIA_ROOT``.
    """

    def url(self, name: str | None) -> str:
        raise NotImplementedError("Private files have no URL: the app serves them itself.")


def current_storage() -> Storage:
    """The backend behind ``TRYON["STORAGE"]``: the merchant's pictures."""
    return storages[tryon_settings.STORAGE]


def private_storage() -> Storage:
    """The backend behind ``TRYON["PRIVATE_STORAGE"]``: every job's files."""
    alias = tryon_settings.PRIVATE_STORAGE
    if alias in settings.STORAGES:
        return storages[alias]
    return _default_private_storage(default_private_location())


def default_private_location() -> str:
    """Where job files go when ``PRIVATE_STORAGE`` names no alias: next to ``MEDIA_ROOT``."""
    media_root = str(settings.MEDIA_ROOT or "")
    if not media_root:
        raise ImproperlyConfigured(
            f"TRYON['PRIVATE_STORAGE'] is {tryon_settings.PRIVATE_STORAGE!r}, which is not in "
            "settings.STORAGES, and MEDIA_ROOT is not set: add that alias to STORAGES."
        )
    parent = os.path.dirname(os.path.abspath(media_root.rstrip("/\\")))
    return os.path.join(parent, DEFAULT_PRIVATE_FOLDER)


@functools.lru_cache(maxsize=8)
def _default_private_storage(location: str) -> Storage:
    return PrivateFileSystemStorage(location=location)


def public_url_reason(storage: Storage) -> str | None:
    """Why URLs of ``storage``'s files would be served to anyone, or None if they aren't.

    Local files are public under ``MEDIA_ROOT`` or ``STATIC_ROOT`` (the web server
    publishes those) or with a ``base_url`` of their own; S3-like storages are public
    when their URLs aren't signed (``querystring_auth`` off, a ``custom_domain`` without
    a CloudFront signer) or their objects are (a public ``default_acl``).
    """
    if isinstance(storage, FileSystemStorage):
        location = os.path.realpath(storage.location)
        for setting in ("MEDIA_ROOT", "STATIC_ROOT"):
            root = str(getattr(settings, setting, "") or "")
            if root and _is_within(location, os.path.realpath(root)):
                return f"its location {location} is inside {setting}, which is served publicly"
        base_url = getattr(storage, "_base_url", None)
        if base_url is not None and not isinstance(storage, PrivateFileSystemStorage):
            return f"it has a base_url ({base_url}) to serve its files from"
        return None
    acl = str(getattr(storage, "default_acl", "") or "")
    if "public" in acl.lower():
        return f"its default_acl is {acl!r}: every object is public"
    if getattr(storage, "querystring_auth", True) is False:
        return "its querystring_auth is off: its URLs are not signed"
    if getattr(storage, "custom_domain", None) and not getattr(storage, "cloudfront_signer", None):
        return "it has a custom_domain without a cloudfront signer: its URLs are not signed"
    return None


def _is_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class AliasStorage(Storage):
    """Forwards every call to the backend ``resolve()`` gives at call time."""

    def __init__(self, resolve: Callable[[], Storage]) -> None:
        self._resolve = resolve

    def __getattr__(self, name: str) -> Any:
        if name == "_resolve":  # not set yet (e.g. while copying): don't recurse
            raise AttributeError(name)
        return getattr(self._resolve(), name)

    # Storage defines these itself, so __getattr__ alone would not forward them.
    def open(self, name: str, mode: str = "rb") -> File:
        return self._resolve().open(name, mode)

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        return self._resolve().save(name, content, max_length=max_length)

    def delete(self, name: str) -> None:
        self._resolve().delete(name)

    def exists(self, name: str) -> bool:
        return self._resolve().exists(name)

    def url(self, name: str | None) -> str:
        return self._resolve().url(name)

    def size(self, name: str) -> int:
        return self._resolve().size(name)

    def path(self, name: str) -> str:
        return self._resolve().path(name)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        return self._resolve().listdir(path)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return self._resolve().get_available_name(name, max_length=max_length)

    def generate_filename(self, filename: Any) -> str:
        return self._resolve().generate_filename(filename)

    def get_valid_name(self, name: str) -> str:
        return self._resolve().get_valid_name(name)

    def get_alternative_name(self, file_root: str, file_ext: str) -> str:
        return self._resolve().get_alternative_name(file_root, file_ext)


_public_proxy = AliasStorage(current_storage)
_private_proxy = AliasStorage(private_storage)


def get_storage() -> Storage:
    """``TRYON["STORAGE"]``, resolved on each call: garment images, model photos."""
    return _public_proxy


def get_private_storage() -> Storage:
    """``TRYON["PRIVATE_STORAGE"]``, resolved on each call: person photos, results, masks."""
    return _private_proxy


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


def save_stream(
    folder: str, extension: str, stream: IO[bytes], storage: Storage | None = None
) -> str:
    """Save a file object under a random name, without reading it whole.

    The storage is the private one unless another is given: what streams in is a job's
    result. A save that fails leaves nothing behind (a local disk keeps what it wrote so
    far) and raises ``StorageError``, so callers treat every backend's failure alike.
    """
    name = random_name(folder, extension)
    storage = storage or get_private_storage()
    try:
        return storage.save(name, File(stream, name=name))
    except Exception as exc:
        with suppress(Exception):  # the storage may be gone altogether (a deleted bucket)
            storage.delete(name)
        raise StorageError(f"{type(exc).__name__} while saving to the storage") from exc


def delete_quietly(name: str | None, storage: Storage | None = None) -> None:
    """Delete ``name`` if it exists, from the private storage unless another is given."""
    if name:
        with suppress(FileNotFoundError):
            (storage or get_private_storage()).delete(name)
