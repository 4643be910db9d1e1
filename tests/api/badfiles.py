"""Hostile and broken uploads, made in memory."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageDraw, ImageFilter

from tests.fixtures import make_image


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A valid PNG header announcing 900 megapixels, in a few hundred bytes."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 4096, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="600" height="800">'
    b'<rect width="600" height="800" fill="red"/><script>alert(1)</script></svg>'
)
HTML = b"<!doctype html><html><body><img src=x onerror=alert(1)><p>me.jpg</p></body></html>"
TEXT = b"Just some text pretending to be a photo.\n" * 20


def truncated_jpeg() -> bytes:
    data = make_image((800, 1000))
    return data[: len(data) // 2]


def tiny_photo() -> bytes:
    return make_image((10, 10))


def dark_photo() -> bytes:
    """A person in a dark room: contrast and edges enough, light not."""
    image = Image.new("RGB", (640, 800), (12, 12, 14))
    draw = ImageDraw.Draw(image)
    draw.ellipse((250, 60, 390, 240), fill=(90, 70, 60))
    draw.rectangle((200, 240, 440, 560), fill=(50, 60, 110))
    for x in range(0, 640, 40):
        draw.line((x, 0, x, 40), fill=(140, 140, 140), width=2)
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def blurred_photo() -> bytes:
    """The test person, out of focus (a Gaussian blur of 3 px at 512 px)."""
    image = Image.open(io.BytesIO(make_image((640, 800)))).filter(ImageFilter.GaussianBlur(4))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def washed_out_photo() -> bytes:
    """The test person overexposed by 3 stops: clipped white but for the trousers."""
    from tests.photo_set import exposed

    image = exposed(Image.open(io.BytesIO(make_image((640, 800)))).convert("RGB"), 3)
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def gif_photo() -> bytes:
    return make_image((640, 800), fmt="GIF")


def sixteen_bit_png() -> bytes:
    image = Image.linear_gradient("L").resize((640, 800)).convert("I;16")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def cmyk_jpeg() -> bytes:
    image = Image.open(io.BytesIO(make_image((640, 800)))).convert("CMYK")
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def palette_png_with_transparency() -> bytes:
    image = Image.open(io.BytesIO(make_image((640, 800)))).convert("P")
    out = io.BytesIO()
    image.save(out, "PNG", transparency=0)
    return out.getvalue()


def deep_png(width: int = 6300, height: int = 6300, *, black: bool = False) -> bytes:
    """A 16-bit RGBA PNG that is small on disk and huge decoded (the issue's 697 KB file
    decodes to 159 MB in Pillow's 4 bytes a pixel). ``black``: all pixels opaque black."""
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0)
    pixel = b"\x00\x00\x00\x00\x00\x00\xff\xff" if black else b"\x80\x00\x40\x00\xc0\x00\xff\xff"
    row = b"\x00" + pixel * width
    if not black:  # some structure, so it is not "uniform" but still compresses well
        stripes = bytearray(row)
        for x in range(0, width, 64):
            stripes[1 + x * 8 : 1 + x * 8 + 8] = b"\xff\xff" * 3 + b"\xff\xff"
        row = bytes(stripes)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )
