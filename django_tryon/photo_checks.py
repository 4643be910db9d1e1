"""Photo checks: refuse a shopper's photo that can't make a good try-on, before any credit.

Five questions, asked in this order so that each refusal names the real problem (and
for a full-body garment a sixth, right after the first):

1. **Too small**: the short edge is under ``PHOTO_MIN_SHORT_EDGE`` pixels (read from the
   header; nothing is decoded).
   **Not full length** (``full_body`` garments only): width / height is over
   ``PHOTO_FULL_BODY_MAX_ASPECT``: a landscape or square photo can't show a person from
   head to feet (also from the header).
2. **Too dark**: even its highlights are dim: the grey level that the brightest 3% of the
   photo reaches is under ``PHOTO_MIN_BRIGHTNESS``. Asked before "uniform": an
   underexposed photo also has little contrast, and its shopper needs light, not another
   background. Highlights, not the mean: a well-lit person in dark clothes against a
   dark wall has a low mean but a lit face.
3. **Too bright**: washed out: at least half of it is clipped white (grey level 250 or
   more) and even its shadows are light: the grey level under which its darkest 5% lie
   is over ``PHOTO_MAX_BRIGHTNESS``. A light wall is not washed out (it is not clipped),
   and a person in front of a clipped white backdrop is not either (their hair and
   clothes keep the shadows dark); a washed-out person in front of a dark background is
   not caught (nothing global tells it from that backdrop).
4. **Nearly uniform**: the standard deviation of the grey levels of a 64-pixel copy is
   under ``PHOTO_MIN_CONTRAST`` (a wall, a covered lens). The small copy averages sensor
   noise away, so a noisy blank photo is still blank, and keeps the shape of a person
   however blurred.
5. **Blurred**: the steepness of its edges is under ``PHOTO_MIN_SHARPNESS``.

Everything is measured on one grey copy whose long edge is ``WORKING_EDGE`` (512) pixels,
so a figure means the same for a 600-pixel and a 4000-pixel photo (a blur that fine
detail at full size loses is no blur at the size providers work at).

Sharpness is edge steepness, not the variance of a Laplacian: the latter grows with how
much detail the scene has (a photo of a person on a plain wall has little), so no one
threshold separates a sharp plain photo from a blurred busy one. Steepness is the
ratio of an edge pixel's gradient (largest step to a neighbour) to the contrast around
it (max - min in a 7x7 window): about 0.5-1 across a sharp edge, ~0.4 for a Gaussian
blur of sigma 1 pixel, ~0.2 for sigma 2, whatever the edge's contrast and the scene. The
figure is the 98th percentile over edge pixels (those whose window spans at least a
share of the photo's contrast), on a copy median-filtered (3 along rows, then columns)
so that sensor noise is not taken for sharp detail. Only Pillow is used (no numpy at run
time); the checks take about 20 ms of CPU for a 2048-pixel JPEG.

How well these decide, and the labelling rules, are in ``tests/photo_set.py``; the
figures are recorded by ``bench/photo_checks.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageChops, ImageMath, ImageStat

from .conf import tryon_settings
from .errors import MESSAGES, ErrorCode
from .imaging import _freed, check_decoded_size, decoding

FULL_BODY = "full_body"  # models.Category.FULL_BODY (no model import at check time)
ORIENTATION_TAG, TURNED = 0x0112, (5, 6, 7, 8)  # EXIF orientations a quarter turn away
WORKING_EDGE = 512  # long edge (px) of the grey copy every figure is measured on
COARSE_EDGE = 64  # long edge of the copy whose contrast tells a blank photo
EDGE_WINDOW = 7  # side (px) of the window whose max - min is an edge's contrast
SHARPNESS_PERCENTILE = 0.98
# Pixels count as edge pixels where the window spans this share of the photo's standard
# deviation of grey levels (at most MAX_EDGE_CONTRAST levels, at least MIN_EDGE_CONTRAST).
EDGE_CONTRAST_SHARE = 0.64
MIN_EDGE_CONTRAST, MAX_EDGE_CONTRAST = 12, 48
MIN_EDGE_SHARE = 0.002  # fewer edge pixels than this share: no sharp edge at all (0.0)
CLIPPED_LEVEL, WASHED_OUT_SHARE = 250, 0.5  # "too bright" needs this share at this level


@dataclass(frozen=True)
class PhotoMeasures:
    """What the checks decide on: the photo's size and its grey copy's figures."""

    width: int
    height: int
    highlights: float = 0.0  # grey level (0-255) that the brightest 3% reach
    shadows: float = 0.0  # grey level (0-255) under which the darkest 5% lie
    clipped: float = 0.0  # share of pixels at CLIPPED_LEVEL or more, 0-1
    contrast: float = 0.0  # standard deviation of the grey levels of the coarse copy
    sharpness: float = 0.0  # edge steepness, 0-1 (see the module's docstring)


def verdict(measures: PhotoMeasures, *, category: str | None = None) -> ErrorCode | None:
    """The first problem of the photo, in the order of the module's docstring, or None.

    ``category`` (``upper_body``, ``lower_body``, ``full_body``) is the garment's: a
    full-body garment (a dress, a jumpsuit) needs a full-length photo, so for it a photo
    wider than ``PHOTO_FULL_BODY_MAX_ASPECT`` (width / height: a landscape or square one)
    is refused right after "too small" (both read the header only).
    """
    settings = tryon_settings
    if min(measures.width, measures.height) < settings.PHOTO_MIN_SHORT_EDGE:
        return ErrorCode.PHOTO_TOO_SMALL
    if (
        category == FULL_BODY
        and measures.width > settings.PHOTO_FULL_BODY_MAX_ASPECT * measures.height
    ):
        return ErrorCode.PHOTO_NOT_FULL_LENGTH
    if measures.highlights < settings.PHOTO_MIN_BRIGHTNESS:
        return ErrorCode.PHOTO_TOO_DARK
    if measures.clipped >= WASHED_OUT_SHARE and measures.shadows > settings.PHOTO_MAX_BRIGHTNESS:
        return ErrorCode.PHOTO_TOO_BRIGHT
    if measures.contrast < settings.PHOTO_MIN_CONTRAST:
        return ErrorCode.PHOTO_UNIFORM
    if measures.sharpness < settings.PHOTO_MIN_SHARPNESS:
        return ErrorCode.PHOTO_BLURRED
    return None


def measure_gray(gray: Image.Image, width: int, height: int) -> PhotoMeasures:
    """The figures of a grey ("L") copy whose long edge is ``WORKING_EDGE``."""
    stats = ImageStat.Stat(gray)
    histogram = gray.histogram()
    coarse = gray.copy()
    coarse.thumbnail((COARSE_EDGE, COARSE_EDGE), Image.Resampling.BOX)
    return PhotoMeasures(
        width=width,
        height=height,
        highlights=percentile(histogram, 0.97),
        shadows=percentile(histogram, 0.05),
        clipped=sum(histogram[CLIPPED_LEVEL:]) / max(1, sum(histogram)),
        contrast=ImageStat.Stat(coarse).stddev[0],
        sharpness=edge_steepness(gray, stats.stddev[0]),
    )


def edge_steepness(gray: Image.Image, spread: float) -> float:
    """The ``SHARPNESS_PERCENTILE`` of gradient / local contrast over edge pixels."""
    smooth = _median3(gray)
    step_x = ImageChops.difference(smooth, ImageChops.offset(smooth, 1, 0))
    step_y = ImageChops.difference(smooth, ImageChops.offset(smooth, 0, 1))
    gradient = ImageChops.lighter(step_x, step_y)
    reach = EDGE_WINDOW // 2
    local = ImageChops.subtract(
        _spread(smooth, reach, ImageChops.lighter), _spread(smooth, reach, ImageChops.darker)
    )
    # ``offset`` wraps around: the first rows and columns compare opposite borders.
    margin = EDGE_WINDOW
    if gray.width <= 2 * margin or gray.height <= 2 * margin:
        return 0.0
    box = (margin, margin, gray.width - margin, gray.height - margin)
    gradient, local = gradient.crop(box), local.crop(box)
    ratio = ImageMath.lambda_eval(
        lambda m: m["convert"](m["g"] * 255 / m["max"](m["r"], 1), "L"), g=gradient, r=local
    )
    floor = int(min(MAX_EDGE_CONTRAST, max(MIN_EDGE_CONTRAST, EDGE_CONTRAST_SHARE * spread)))
    edges = local.point(lambda v: 255 if v >= floor else 0)
    histogram = ratio.histogram(mask=edges)
    if sum(histogram) < MIN_EDGE_SHARE * local.width * local.height:
        return 0.0
    return percentile(histogram, SHARPNESS_PERCENTILE) / 255


def _shifted(image: Image.Image, dx: int, dy: int) -> Image.Image:
    return ImageChops.offset(image, dx, dy)


def _spread(image: Image.Image, reach: int, pick: Callable[..., Image.Image]) -> Image.Image:
    """The max (``pick`` = ``lighter``) or min (``darker``) over a square of side
    2 x reach + 1: Pillow's MaxFilter is tens of times slower, one row and column at a time
    is not. (The borders wrap around; the caller crops them off.)"""
    rows = image
    for d in range(1, reach + 1):
        rows = pick(pick(rows, _shifted(image, d, 0)), _shifted(image, -d, 0))
    square = rows
    for d in range(1, reach + 1):
        square = pick(pick(square, _shifted(rows, 0, d)), _shifted(rows, 0, -d))
    return square


def _median3(image: Image.Image) -> Image.Image:
    """A median of three along rows, then along columns: keeps steps, drops sensor noise
    (Pillow's MedianFilter(3) does about the same ten times slower)."""
    for dx, dy in ((1, 0), (0, 1)):
        before, after = _shifted(image, dx, dy), _shifted(image, -dx, -dy)
        low, high = ImageChops.darker(before, after), ImageChops.lighter(before, after)
        image = ImageChops.lighter(low, ImageChops.darker(high, image))
    return image


def percentile(histogram: list[int], share: float) -> int:
    """The lowest level at or under which ``share`` of an 8-bit histogram's pixels lie."""
    total, seen = sum(histogram), 0
    for level, count in enumerate(histogram):
        seen += count
        if seen >= share * total:
            return level
    return len(histogram) - 1


def _gray_copy(image: Image.Image) -> Image.Image:
    gray = image.convert("L")
    gray.thumbnail((WORKING_EDGE, WORKING_EDGE), Image.Resampling.LANCZOS)
    return gray


def measure_photo(fileobj: IO[bytes]) -> PhotoMeasures:
    """The figures of a (validated) photo; a too-small photo is not decoded."""
    fileobj.seek(0)
    try:
        with _freed(Image.open(fileobj)) as image:
            width, height = image.size
            if image.getexif().get(ORIENTATION_TAG) in TURNED:  # a phone's upright photo
                width, height = height, width
            if min(width, height) < tryon_settings.PHOTO_MIN_SHORT_EDGE:
                return PhotoMeasures(width, height)
            # A JPEG is decoded at the smallest scale still at least WORKING_EDGE.
            # Orientation changes none of the other figures, so none is applied.
            image.draft("L", (WORKING_EDGE, WORKING_EDGE))
            check_decoded_size(image)
            with _freed(decoding(_gray_copy, image)) as gray:
                return decoding(measure_gray, gray, width, height)
    finally:
        fileobj.seek(0)


def check_photo_quality(fileobj: IO[bytes], *, category: str | None = None) -> None:
    """Raise ``ValidationError`` (code and plain words) for a photo that can't be used."""
    measures = measure_photo(fileobj)
    code = verdict(measures, category=category)
    if code is None:
        return
    if code == ErrorCode.PHOTO_TOO_SMALL:
        minimum = tryon_settings.PHOTO_MIN_SHORT_EDGE
        raise ValidationError(
            _(
                "This photo is too small (%(w)d×%(h)d). Please use a photo at least %(min)d pixels on each side."
            ),
            code=code,
            params={"w": measures.width, "h": measures.height, "min": minimum},
        )
    # The lazy words: they are read in the request's language, not this decode thread's.
    raise ValidationError(MESSAGES[code], code=code)
