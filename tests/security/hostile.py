"""Hypothesis strategies for hostile uploads: every kind of file the issue lists.

``uploads()`` draws one of: random bytes; random bytes behind an image signature; a real
picture (any size, mode, format, frame count, EXIF orientation); that picture cut short;
a polyglot (a picture with HTML/script/zip before, after or inside it); a decompression
bomb (a tiny file announcing a huge canvas); a huge but genuine canvas. ``filenames()``
draws path traversals, unicode, control characters and very long names.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from typing import Any

from hypothesis import strategies as st
from PIL import Image, ImageDraw, PngImagePlugin

PAYLOAD = b"<script>alert('tryon-xss')</script><?php system($_GET['c']); ?>"
ZIP = b"PK\x03\x04" + b"\x00" * 26 + b"evil.sh" + b"#!/bin/sh\nrm -rf /\n"
MARKERS = (b"tryon-xss", b"system($_GET", b"evil.sh")

SIGNATURES = [
    b"\xff\xd8\xff\xe0",
    b"\x89PNG\r\n\x1a\n",
    b"GIF89a",
    b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    b"BM",
    b"II*\x00",
    b"<svg",
    b"%PDF-1.4",
]
FORMATS = ["JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF"]
MODES = ["RGB", "RGBA", "L", "LA", "P", "PA", "1", "CMYK", "I;16", "I", "F", "YCbCr"]


def _picture(width: int, height: int, color: tuple[int, int, int]) -> Image.Image:
    """Something like a person: enough structure to pass or fail the quality checks."""
    image = Image.new("RGB", (width, height), (235, 235, 240))
    draw = ImageDraw.Draw(image)
    draw.ellipse((width * 0.38, height * 0.08, width * 0.62, height * 0.3), fill=color)
    draw.rectangle((width * 0.3, height * 0.3, width * 0.7, height * 0.7), fill=(60, 90, 160))
    for x in range(0, width, 40):
        draw.line((x, 0, x, max(1, height // 20)), fill=(0, 0, 0), width=2)
    return image


def encode(image: Image.Image, fmt: str, **params: Any) -> bytes:
    out = io.BytesIO()
    try:
        image.save(out, fmt, **params)
    except (OSError, ValueError, KeyError, TypeError):
        out = io.BytesIO()  # a mode this format can't hold: as RGB, as most tools would
        image.convert("RGB").save(
            out, fmt, **{k: v for k, v in params.items() if k != "append_images"}
        )
    return out.getvalue()


@st.composite
def pictures(draw: Any, max_side: int = 900) -> bytes:
    width = draw(st.integers(1, max_side))
    height = draw(st.integers(1, max_side))
    color = draw(st.tuples(*[st.integers(0, 255)] * 3))
    mode = draw(st.sampled_from(MODES))
    fmt = draw(st.sampled_from(FORMATS))
    frames = draw(st.integers(1, 3))
    orientation = draw(st.none() | st.integers(0, 10))
    base = _picture(width, height, color)
    try:
        image = base.convert(mode)
    except ValueError:
        image = base
    params: dict[str, Any] = {}
    if frames > 1 and fmt in ("GIF", "PNG", "WEBP", "TIFF"):
        params.update(save_all=True, append_images=[image.copy() for _ in range(frames - 1)])
    if orientation is not None and fmt in ("JPEG", "PNG", "WEBP", "TIFF"):
        exif = Image.Exif()
        exif[0x0112] = orientation  # Orientation, including values that don't exist
        params["exif"] = exif.tobytes()
    return encode(image, fmt, **params)


@st.composite
def truncated(draw: Any) -> bytes:
    data = draw(pictures(max_side=400))
    return data[: draw(st.integers(0, max(0, len(data) - 1)))]


@st.composite
def polyglots(draw: Any) -> bytes:
    payload = draw(st.sampled_from([PAYLOAD, ZIP, PAYLOAD + ZIP]))
    how = draw(st.sampled_from(["after", "before", "inside"]))
    if how == "inside":
        image = _picture(draw(st.integers(520, 700)), draw(st.integers(520, 800)), (180, 150, 120))
        fmt = draw(st.sampled_from(["JPEG", "PNG"]))
        if fmt == "JPEG":
            return encode(image, "JPEG", comment=payload)
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", payload.decode("latin-1"))
        return encode(image, "PNG", pnginfo=info)
    data = draw(pictures(max_side=700))
    return data + payload if how == "after" else payload + data


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@st.composite
def bombs(draw: Any) -> bytes:
    """A few hundred bytes announcing up to 2^31 pixels a side."""
    width = draw(st.integers(1, 2**31 - 1))
    height = draw(st.integers(1, 2**31 - 1))
    kind = draw(st.sampled_from(["PNG", "GIF", "JPEG", "WEBP"]))
    if kind == "PNG":
        ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
        idat = zlib.compress(b"\x00" * 65536, 9)
        return (
            b"\x89PNG\r\n\x1a\n"
            + _png_chunk(b"IHDR", ihdr)
            + _png_chunk(b"IDAT", idat)
            + _png_chunk(b"IEND", b"")
        )
    if kind == "GIF":
        w, h = width & 0xFFFF or 1, height & 0xFFFF or 1
        return (
            b"GIF89a"
            + struct.pack("<HH", w, h)
            + b"\x00\x00\x00"
            + b",\x00\x00\x00\x00"
            + struct.pack("<HH", w, h)
            + b"\x00\x02\x02\x44\x01\x00;"
        )
    if kind == "JPEG":
        w, h = width & 0xFFFF or 1, height & 0xFFFF or 1
        sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, h, w, 1) + b"\x01\x11\x00"
        return (
            b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
            + sof
            + b"\xff\xda\x00\x08\x01\x01\x00\x00?\x00"
            + b"\x00" * 64
            + b"\xff\xd9"
        )
    w, h = min(width, 2**24), min(height, 2**24)
    vp8x = (
        b"VP8X"
        + struct.pack("<I", 10)
        + b"\x00\x00\x00\x00"
        + (w - 1).to_bytes(3, "little")
        + (h - 1).to_bytes(3, "little")
    )
    body = b"WEBP" + vp8x
    return b"RIFF" + struct.pack("<I", len(body)) + body


def png_bomb(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 65536, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


@functools.lru_cache(maxsize=4)
def huge_canvas(width: int, height: int, fmt: str = "PNG") -> bytes:
    """A genuine, fully decodable picture of a huge size that compresses to almost nothing."""
    return encode(Image.new("L", (width, height), 200), fmt)


def uploads() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=4096),
        st.builds(
            lambda sig, tail: sig + tail, st.sampled_from(SIGNATURES), st.binary(max_size=2048)
        ),
        pictures(),
        truncated(),
        polyglots(),
        bombs(),
    )


TRAVERSALS = [
    "../../../../etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "/etc/shadow",
    "C:\\boot.ini",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd.jpg",
    "....//....//x.jpg",
    "photo.jpg\x00.php",
    "photo.php.jpg",
    ".htaccess",
    "CON.jpg",
    "\u202egpj.exe",  # right-to-left override: "exe.jpg" on screen
    "фото на паспорт.jpg",
    "照片.jpeg",
    "🙂" * 40 + ".png",
    "a" * 1000 + ".jpg",
    "",
    ".",
    "tryon/results/2026/01/stolen.png",
]


def filenames() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(TRAVERSALS), st.text(max_size=300))
