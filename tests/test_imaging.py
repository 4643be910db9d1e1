"""Images are judged by their bytes: format allow-list, limits, truncation; photos re-encoded clean."""

import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from django_tryon.imaging import normalize_photo, sniff_image_format, thumbnail, validate_image


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


# Memory: small files that decode huge, reduced-size decoding, a cap on decodes at once.


def header_only_png(width, height, depth=16, colour_type=6):
    """A PNG that announces ``width`` x ``height`` and holds almost no data."""
    import struct
    import zlib

    def chunk(kind, data):
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    return io.BytesIO(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def decodes(monkeypatch):
    """The images Pillow decoded (their size when decoding began)."""
    from PIL import ImageFile

    seen = []
    load = ImageFile.ImageFile.load

    def spy(self):
        if self.tile:
            seen.append(self.size)
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return seen


def test_a_small_png_that_decodes_huge_is_refused_from_its_header(decodes):
    # The file: 6300x6300 16-bit RGBA, 40 megapixels (within MAX_IMAGE_PIXELS),
    # 159 MB once decoded. Refused before a single row is decoded.
    with pytest.raises(ValidationError) as refused:
        validate_image(header_only_png(6300, 6300))
    assert refused.value.code == "too_many_pixels" and decodes == []


def test_the_decoded_limit_counts_bytes_per_pixel(settings):
    from django_tryon.imaging import decoded_bytes

    assert decoded_bytes(Image.open(header_only_png(1000, 1000))) == 4_000_000  # RGBA
    assert decoded_bytes(Image.open(header_only_png(1000, 1000, 8, 0))) == 1_000_000  # grey
    assert decoded_bytes(Image.open(header_only_png(1000, 1000, 16, 0))) == 2_000_000
    settings.TRYON = {**settings.TRYON, "MAX_DECODED_BYTES": 3_999_999}
    with pytest.raises(ValidationError):
        validate_image(header_only_png(1000, 1000))


def test_a_large_jpeg_is_decoded_at_reduced_scale(decodes):
    photo = encoded(Image.new("RGB", (4400, 4200), (120, 90, 60)), "JPEG")
    _data, info = normalize_photo(photo)
    assert max(info.width, info.height) <= 2048
    assert decodes and all(w * h <= 2200 * 2100 for w, h in decodes), decodes


def test_decodes_take_turns_and_a_long_wait_is_answered_busy(settings):
    from django_tryon.imaging import decoding
    from tests.fixtures import decoders_busy

    settings.TRYON = {**settings.TRYON, "MAX_CONCURRENT_DECODES": 1, "DECODE_WAIT": 0.2}
    with decoders_busy(), pytest.raises(ValidationError) as refused:
        validate_image(encoded(Image.new("RGB", (300, 200), "red"), "PNG"))
    assert refused.value.code == "server_busy"
    png = encoded(Image.new("RGB", (300, 200), "red"), "PNG")
    assert decoding(validate_image, png).width == 300  # free again, and nested calls run inline


def test_a_forked_process_decodes_on_threads_of_its_own(settings):
    """A child forked after the parent decoded (a pre-forking server, the benchmarks'
    processes) inherits the parent's executor without its threads: it must not wait on them."""
    import multiprocessing

    from django_tryon.imaging import decoding

    settings.TRYON = {**settings.TRYON, "DECODE_WAIT": 2.0}
    assert decoding(int, "7") == 7  # the parent's decode threads exist now

    def child() -> None:
        raise SystemExit(0 if decoding(int, "8") == 8 else 1)

    process = multiprocessing.get_context("fork").Process(target=child)
    process.start()
    process.join(30)
    assert process.exitcode == 0


def test_a_thumbnail_is_small_upright_and_without_metadata():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    data = thumbnail(encoded(Image.new("RGB", (2048, 1536)), "JPEG", exif=exif))
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.size == (120, 160)  # upright: portrait
    assert not image.getexif() and len(data) < 4_000


def test_a_thumbnail_of_a_small_photo_is_not_enlarged():
    image = Image.open(io.BytesIO(thumbnail(encoded(Image.new("RGB", (90, 120)), "PNG"))))
    assert image.size == (90, 120) and image.mode == "RGB"
