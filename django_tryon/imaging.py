"""Image validation and normalisation, by content, never by file name.

Every image that enters the app passes ``validate_image``: a format allow-list, byte,
pixel and decoded-byte limits checked from the header before decoding (decompression
bombs, and small PNGs that decode huge), and a full decode at reduced scale to catch
truncated files. Shopper photos are then re-encoded by ``normalize_photo`` without
metadata.

Memory is bounded three ways: nothing is decoded whose pixels would take more than
``MAX_DECODED_BYTES``; JPEGs are decoded at the smallest scale that serves the purpose
(``draft``); and images are decoded only on ``MAX_CONCURRENT_DECODES`` threads per
process (``decoding``), a request that waits too long for one being answered "busy".
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any, TypeVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .conf import tryon_settings
from .errors import ErrorCode, message_for

T = TypeVar("T")

# Leading bytes of the formats we accept or produce.
_SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
)


def sniff_image_format(head: bytes) -> str | None:
    """The format its first bytes announce, or None when they announce no image we know."""
    for signature, name in _SIGNATURES:
        if head.startswith(signature):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int
    size: int
    digest: str

    @property
    def extension(self) -> str:
        return {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}.get(self.format, "bin")


def digest_of(fileobj: IO[bytes]) -> str:
    fileobj.seek(0)
    hasher = hashlib.sha256()
    for chunk in iter(lambda: fileobj.read(1 << 16), b""):
        hasher.update(chunk)
    fileobj.seek(0)
    return hasher.hexdigest()


def _size_of(fileobj: IO[bytes]) -> int:
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    return size


@contextmanager
def _freed(image: Image.Image) -> Iterator[Image.Image]:
    """``image`` for the block, its pixels freed at the end. (Pillow's own ``with`` only
    closes the file: an error raised meanwhile, a ``ValidationError`` being a reference
    cycle, would keep a decoded image alive until the garbage collector runs.)"""
    try:
        yield image
    finally:
        # Image.close, not the file's close: the caller's file stays open for its next reader.
        Image.Image.close(image)


def decoded_bytes(image: Image.Image) -> int:
    """The memory Pillow takes for ``image``'s pixels at its current (maybe draft) size."""
    mode = image.mode
    if mode in ("1", "L", "P"):
        per_pixel = 1
    elif mode.startswith("I;16"):
        per_pixel = 2
    else:  # multi-band modes are stored as 4 bytes a pixel, as are 32-bit ones
        per_pixel = 4
    return image.width * image.height * per_pixel


def check_decoded_size(image: Image.Image) -> None:
    """Refuse, before decoding, an image whose pixels would take too much memory."""
    if decoded_bytes(image) > tryon_settings.MAX_DECODED_BYTES:
        raise ValidationError(
            _("The picture is too big to process."), code=ErrorCode.TOO_MANY_PIXELS
        )


class _Decoders:
    """This process's decode threads: every image is decoded on one of them.

    Their number bounds the decodes running at once. It bounds memory a second way: the C
    allocator keeps the memory a thread freed for that thread's next use, so decoding on
    every request thread would leave each one holding its largest image; decoding on a
    few threads keeps that to a few.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pools: dict[int, ThreadPoolExecutor] = {}
        self.local = threading.local()

    def pool(self) -> ThreadPoolExecutor:
        size = max(1, int(tryon_settings.MAX_CONCURRENT_DECODES))
        with self.lock:
            pool = self.pools.get(size)
            if pool is None:
                pool = self.pools[size] = ThreadPoolExecutor(
                    size, thread_name_prefix="tryon-decode", initializer=self._mark
                )
            return pool

    def _mark(self) -> None:
        self.local.inside = True

    @property
    def inside(self) -> bool:
        return bool(getattr(self.local, "inside", False))


_decoders = _Decoders()


def _forget_parents_threads() -> None:
    # A forked child (gunicorn, multiprocessing) inherits the parent's executors but not
    # their threads: work submitted to them would never start, and every decode would be
    # answered "busy" after DECODE_WAIT. The child starts its own threads when it needs them.
    global _decoders
    _decoders = _Decoders()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_parents_threads)


def server_busy() -> ValidationError:
    return ValidationError(message_for(ErrorCode.SERVER_BUSY), code=ErrorCode.SERVER_BUSY)


def decoding(work: Callable[..., T], *args: Any) -> T:
    """``work(*args)`` on one of the process's decode threads (inline if on one already).

    Waits up to ``DECODE_WAIT`` seconds for a free thread, then raises ``server_busy``.
    """
    if _decoders.inside:
        return work(*args)
    started = threading.Event()

    def run() -> T:
        started.set()
        return work(*args)

    future = _decoders.pool().submit(run)
    if not started.wait(float(tryon_settings.DECODE_WAIT)) and future.cancel():
        raise server_busy()
    return future.result()


def validate_image(fileobj: IO[bytes]) -> ImageInfo:
    """Check an uploaded image by content; raise ``ValidationError`` naming the problem."""
    size = _size_of(fileobj)
    if size == 0:
        raise ValidationError(_("The file is empty."), code=ErrorCode.EMPTY_FILE)
    max_bytes = tryon_settings.MAX_UPLOAD_BYTES
    if size > max_bytes:
        raise ValidationError(
            _("The file is too large (%(size)d MB); the limit is %(limit)d MB."),
            code=ErrorCode.FILE_TOO_LARGE,
            params={"size": -(-size // 2**20), "limit": max_bytes // 2**20},
        )
    head = fileobj.read(32)
    fileobj.seek(0)
    if sniff_image_format(head) is None:
        raise ValidationError(
            _("This file is not a picture. Please use a JPEG, PNG or WebP photo."),
            code=ErrorCode.NOT_AN_IMAGE,
        )
    try:
        with warnings.catch_warnings():
            # We check the pixel count ourselves, against our own (lower) limit, just below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(fileobj)
        with _freed(image):
            fmt = image.format or ""
            if fmt not in tryon_settings.ALLOWED_FORMATS:
                raise ValidationError(
                    _(
                        "%(format)s pictures are not accepted. Please use a JPEG, PNG or WebP photo."
                    ),
                    code=ErrorCode.UNSUPPORTED_FORMAT,
                    params={"format": fmt},
                )
            width, height = image.size
            if width * height > tryon_settings.MAX_IMAGE_PIXELS:
                raise ValidationError(
                    _("The picture is too big (%(mp)d megapixels); the limit is %(limit)d."),
                    code=ErrorCode.TOO_MANY_PIXELS,
                    params={
                        "mp": width * height // 10**6,
                        "limit": tryon_settings.MAX_IMAGE_PIXELS // 10**6,
                    },
                )
            # Decoding at reduced scale is cheap and still reads every byte: truncation shows.
            image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            check_decoded_size(image)
            decoding(image.load)
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        raise ValidationError(
            _("The picture is too big to process."), code=ErrorCode.TOO_MANY_PIXELS
        ) from None
    except UnidentifiedImageError:
        raise ValidationError(
            _("This file is not a picture we can read."), code=ErrorCode.NOT_AN_IMAGE
        ) from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(
            _("The picture is damaged or incomplete. Please upload it again."),
            code=ErrorCode.TRUNCATED_IMAGE,
        ) from None
    finally:
        fileobj.seek(0)
    return ImageInfo(format=fmt, width=width, height=height, size=size, digest=digest_of(fileobj))


def _flatten(image: Image.Image) -> Image.Image:
    """Plain RGB, whatever the mode: transparent pixels become white, not black."""
    if image.mode == "RGB":
        return image
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image if image.mode == "RGBA" else image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


# Modes Pillow resizes as they are; any other is converted before it's made smaller.
_RESIZABLE = ("RGB", "RGBA", "L", "LA")


def _downscaled(opened: Image.Image, edge: int) -> Image.Image:
    opened.load()
    if max(opened.size) > edge and opened.mode in _RESIZABLE:
        opened.thumbnail((edge, edge), Image.Resampling.LANCZOS)  # before any copy
    ImageOps.exif_transpose(opened, in_place=True)
    image = _flatten(opened)
    if max(image.size) > edge:
        image.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    return image


#: The long edge of a visit photo's thumbnail ("Use my photo"): 2x a 5 rem button image.
THUMBNAIL_EDGE = 160


def thumbnail(fileobj: IO[bytes], edge: int = THUMBNAIL_EDGE) -> bytes:
    """A small JPEG of a (validated) photo: orientation applied, no metadata, ``edge`` px."""
    with _freed(Image.open(fileobj)) as opened:
        opened.seek(0)
        opened.draft("RGB", (edge, edge))  # JPEG: decoded at 1/2 to 1/8 scale, fast
        check_decoded_size(opened)
        with _freed(_downscaled(opened, edge)) as image:
            image.info = {}
            out = io.BytesIO()
            image.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()


def normalize_photo(fileobj: IO[bytes]) -> tuple[bytes, ImageInfo]:
    """Re-encode a (validated) photo as JPEG: orientation applied, metadata dropped, downscaled."""
    edge = tryon_settings.PHOTO_MAX_EDGE
    with _freed(Image.open(fileobj)) as opened:
        opened.seek(0)  # the first frame of an animation
        # JPEG: decoded at the smallest scale whose long edge is still >= ``edge``.
        shrink = edge / max(opened.size)
        if shrink < 1:
            opened.draft("RGB", (int(opened.width * shrink), int(opened.height * shrink)))
        check_decoded_size(opened)
        with _freed(decoding(_downscaled, opened, edge)) as image:
            # Pillow writes the source's JPEG comment into the new file unless told
            # otherwise: a shopper's photo keeps no metadata (nor a polyglot's payload).
            image.info = {}
            out = io.BytesIO()
            image.save(out, "JPEG", quality=88, optimize=True)
    data = out.getvalue()
    info = ImageInfo(
        format="JPEG",
        width=image.width,
        height=image.height,
        size=len(data),
        digest=hashlib.sha256(data).hexdigest(),
    )
    return data, info
