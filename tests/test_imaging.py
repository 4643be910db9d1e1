"""Images are judged by their bytes: format allow-list, limits, truncation; photos re-encoded clean."""

import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from django_tryon.imaging import normalize_photo, sniff_image_format, validate_image


def encoded(image, fmt, **options):
    out = io.BytesIO()
    image.save(out, fmt, **options)
    out.seek(0)
    return out


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b"\xff\xd8\xff\xe0", "JPEG"),
        (b"\x89PNG\r\n\x1a\n", "PNG"),
        (b"RIFF\0\0\0\0WEBPVP8 ", "WEBP"),
        (b"GIF89a", "GIF"),
        (b"<svg", None),
        (b"%PDF", None),
        (b"", None),
    ],
)
def test_formats_are_sniffed_from_the_first_bytes(head, fmt):
    assert sniff_image_format(head) == fmt


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_accepted_formats(fmt):
    info = validate_image(encoded(Image.new("RGB", (300, 200), "red"), fmt))
    assert (info.format, info.width, info.height) == (fmt, 300, 200)
    assert len(info.digest) == 64


def test_the_byte_limit_is_checked_before_decoding(settings):
    settings.TRYON = {**settings.TRYON, "MAX_UPLOAD_BYTES": 1000}
    with pytest.raises(ValidationError) as refused:
        validate_image(io.BytesIO(b"\xff\xd8\xff" + b"\0" * 5000))
    assert refused.value.code == "file_too_large"


def test_a_polyglot_with_a_jpeg_header_but_garbage_after_is_refused():
    with pytest.raises(ValidationError) as refused:
        validate_image(io.BytesIO(b"\xff\xd8\xff\xe0" + b"<html><script>alert(1)</script>" * 50))
    assert refused.value.code in ("not_an_image", "truncated_image")


@pytest.mark.parametrize(
    "image",
    [
        Image.new("CMYK", (600, 800), (10, 20, 30, 0)),
        Image.new("I;16", (600, 800)),
        Image.new("P", (600, 800)),
        Image.new("RGBA", (600, 800), (0, 0, 0, 0)),
        Image.new("L", (600, 800), 128),
    ],
    ids=["cmyk", "16-bit", "palette", "transparent", "grey"],
)
def test_unusual_modes_become_plain_rgb_jpeg(image):
    fmt = "JPEG" if image.mode == "CMYK" else "PNG"
    data, info = normalize_photo(encoded(image, fmt))
    result = Image.open(io.BytesIO(data))
    assert result.format == "JPEG" and result.mode == "RGB" and info.format == "JPEG"


def test_the_first_frame_of_an_animation_is_kept():
    frames = [Image.new("RGB", (600, 800), c) for c in ("red", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:])
    out.seek(0)
    data, _ = normalize_photo(out)
    assert Image.open(io.BytesIO(data)).getpixel((10, 10))[0] > 200  # red, not blue


def test_exif_orientation_is_applied_then_dropped():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    data, info = normalize_photo(encoded(Image.new("RGB", (800, 600)), "JPEG", exif=exif))
    assert (info.width, info.height) == (600, 800)
    assert not Image.open(io.BytesIO(data)).getexif()


def test_large_photos_are_downscaled(settings):
    settings.TRYON = {**settings.TRYON, "PHOTO_MAX_EDGE": 1024}
    _, info = normalize_photo(encoded(Image.new("RGB", (4000, 3000)), "JPEG"))
    assert max(info.width, info.height) == 1024
