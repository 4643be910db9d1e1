"""A labelled evaluation set for the photo checks (``django_tryon.photo_checks``).

Built on the fly, offline, from pictures the project may ship: scikit-image's astronaut
(NASA, public domain) and cameraman photos, the demo shop's four drawn people
(``catalog.demo_images.figure_image`` with the styles of ``seed_demo``), and the test
suite's own person (``tests.fixtures.make_image``), each transformed. Used by the unit
suite (``tests/test_photo_checks.py``, which asserts the goals) and by
``bench/photo_checks.py`` (which records the confusion table).

Labelling rules. A label comes from the transformation and its size, never from what the
checks measure; where a transformation is neither clearly fine nor clearly ruinous the
sample is labelled ``EITHER`` and counts in neither rate (the benchmark lists what the
checks did with them).

- Usable: the picture itself; scaled with its short edge still >= 512 px (up to a long
  edge of 2048 px); an upper-body crop that keeps >= 512 px; JPEG quality 30 to 75;
  Gaussian noise of sigma 3 to 10 grey levels at the photo's own size; a Gaussian blur
  of sigma up to 1 px at a long edge of 512 px (the size the checks and providers work
  at; so a sigma 1 px blur of a 2048 px photo is usable); exposure within 1 stop;
  contrast halved; noise then JPEG 50.
- Too small: a short edge under 512 px (``PHOTO_MIN_SHORT_EDGE``'s default), whatever else.
- Too dark: 4 or 5 stops under (also with noise, as a dark room gives).
- Too bright: 3 or 4 stops over (the sensor clips most of the picture).
- Nearly uniform: contrast cut to 6% or less (a covered lens, fog on it); a plain wall
  (one colour with sensor noise); the demo figures' empty studio backdrop.
- Blurred: a Gaussian blur of sigma 2 px or more at a 512 px long edge (also with
  mild noise, and on a 2048 px photo).
- Either: sigma 1.5 px blurs; 2 stops under or over and 3 under; contrast at 20%; JPEG
  quality 10 (blocky, but the person is there).

Exposure is simulated in linear light (sRGB decoded, scaled by 2**stops, clipped,
encoded), as a camera's exposure works; noise is seeded, so the set is the same on
every run.
"""

from __future__ import annotations

import functools
import io
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageEnhance, ImageFilter

from django_tryon.errors import ErrorCode

USABLE = "usable"
EITHER = "either"
REASONS = (
    ErrorCode.PHOTO_TOO_SMALL,
    ErrorCode.PHOTO_TOO_DARK,
    ErrorCode.PHOTO_TOO_BRIGHT,
    ErrorCode.PHOTO_UNIFORM,
    ErrorCode.PHOTO_BLURRED,
)
LABELS = (USABLE, *REASONS, EITHER)
MIN_SHORT_EDGE = 512  # PHOTO_MIN_SHORT_EDGE's default: the labels assume it
WORKING_EDGE = 512  # blur radii are given at this long edge


@dataclass(frozen=True)
class Sample:
    """One labelled photo: ``build()`` makes its JPEG bytes (a few ms to a second)."""

    base: str
    name: str
    label: str
    build: Callable[[], bytes]

    @property
    def id(self) -> str:
        return f"{self.base}/{self.name}"


# The pictures --------------------------------------------------------------------------


def _skimage_photo(name: str) -> Image.Image | None:
    import importlib.util

    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"{name}.png"
    if not path.is_file():
        return None
    with Image.open(path) as image:
        return image.convert("RGB")


def _figures() -> dict[str, Image.Image]:
    from catalog.demo_images import figure_image
    from catalog.management.commands.seed_demo import FIGURES

    return {
        f"figure-{name.lower()}": Image.open(io.BytesIO(figure_image(style))).convert("RGB")
        for name, _categories, style in FIGURES
    }


@functools.cache
def bases() -> dict[str, Image.Image]:
    """Every base picture by name (scikit-image's only where it is installed)."""
    from tests.fixtures import make_image

    found: dict[str, Image.Image] = {}
    for name in ("astronaut", "camera"):
        photo = _skimage_photo(name)
        if photo is not None:
            found[name] = photo
    found.update(_figures())
    found["test-person"] = Image.open(io.BytesIO(make_image())).convert("RGB")
    return found


# The transformations -------------------------------------------------------------------


def jpeg(image: Image.Image, quality: int = 92) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def scaled(image: Image.Image, factor: float) -> Image.Image:
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


def to_long_edge(image: Image.Image, edge: int) -> Image.Image:
    return scaled(image, edge / max(image.size))


def to_short_edge(image: Image.Image, edge: int) -> Image.Image:
    return scaled(image, edge / min(image.size))


def blurred(image: Image.Image, sigma_at_working: float) -> Image.Image:
    """A Gaussian blur of ``sigma_at_working`` px as seen at a 512 px long edge."""
    sigma = sigma_at_working * max(image.size) / WORKING_EDGE
    return image.filter(ImageFilter.GaussianBlur(sigma))


def noisy(image: Image.Image, sigma: float, seed: int = 7) -> Image.Image:
    """Independent noise of standard deviation ``sigma`` grey levels on each channel
    (a sum of two uniform draws: close to Gaussian, and seeded)."""
    rng = random.Random(seed)
    gain = sigma / (255 / 12**0.5 / 2**0.5)  # the mean of two uniform bytes: sigma 52.2

    def band_noise() -> Image.Image:
        draws = [
            Image.frombytes("L", image.size, rng.randbytes(image.width * image.height))
            for _ in range(2)
        ]
        both = ImageChops.add(draws[0], draws[1], scale=2.0)  # (a + b) / 2, around 128
        return both.point(lambda v: max(0, min(255, round(128 + (v - 128) * gain))))

    return Image.merge(
        "RGB",
        [ImageChops.add(band, band_noise(), offset=-128) for band in image.split()],
    )


def _srgb_to_linear(v: float) -> float:
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def _linear_to_srgb(v: float) -> float:
    return v * 12.92 if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055


def exposed(image: Image.Image, stops: float) -> Image.Image:
    """The photo as if taken ``stops`` stops brighter (negative: darker)."""
    gain = 2.0**stops
    table = [
        round(255 * _linear_to_srgb(min(1.0, _srgb_to_linear(v / 255) * gain))) for v in range(256)
    ]
    return image.point(table * 3)


def with_contrast(image: Image.Image, factor: float) -> Image.Image:
    return ImageEnhance.Contrast(image).enhance(factor)


def plain_wall(image: Image.Image) -> Image.Image:
    """One colour (the photo's mean) at the photo's size, with mild sensor noise."""
    mean = image.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    return noisy(Image.new("RGB", image.size, mean), 4)


def backdrop(image: Image.Image) -> Image.Image:
    """The empty top-left corner of a demo figure (its studio backdrop), at the figure's size."""
    corner = image.crop((0, 0, image.width // 4, image.height // 12))
    return corner.resize(image.size, Image.Resampling.BICUBIC)


def upper_body(image: Image.Image) -> Image.Image:
    return image.crop((0, 0, image.width, round(image.height * 0.6)))


# The set --------------------------------------------------------------------------------


def _size_label(image: Image.Image, label: str) -> str:
    return ErrorCode.PHOTO_TOO_SMALL if min(image.size) < MIN_SHORT_EDGE else label


def _transforms(
    base: str, image: Image.Image
) -> Iterator[tuple[str, str, Callable[[], Image.Image | bytes]]]:
    """(name, label, make) for one base picture; ``make`` returns an image or JPEG bytes."""
    yield "original", USABLE, lambda: image
    yield "long-2048", USABLE, lambda: to_long_edge(image, 2048)
    if min(image.size) >= 600:
        yield "short-600", USABLE, lambda: to_short_edge(image, 600)
    crop = upper_body(image)
    yield "upper-body-crop", _size_label(crop, USABLE), lambda: crop
    for edge in (480, 320, 160):
        yield f"short-{edge}", ErrorCode.PHOTO_TOO_SMALL, lambda e=edge: to_short_edge(image, e)
    yield (
        "short-400-blurred",
        ErrorCode.PHOTO_TOO_SMALL,
        lambda: blurred(to_short_edge(image, 400), 3),
    )
    for quality in (75, 50, 30):
        yield f"jpeg-{quality}", USABLE, lambda q=quality: jpeg(image, q)
    yield "jpeg-10", EITHER, lambda: jpeg(image, 10)
    for sigma in (3, 6, 10):
        yield f"noise-{sigma}", USABLE, lambda s=sigma: noisy(image, s)
    yield "noise-6-jpeg-50", USABLE, lambda: jpeg(noisy(image, 6), 50)
    for sigma in (0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0):
        label = USABLE if sigma <= 1 else ErrorCode.PHOTO_BLURRED if sigma >= 2 else EITHER
        yield f"blur-{sigma:g}", label, lambda s=sigma: blurred(image, s)
    yield "long-2048-blur-0.25", USABLE, lambda: blurred(to_long_edge(image, 2048), 0.25)
    yield "long-2048-blur-2", ErrorCode.PHOTO_BLURRED, lambda: blurred(to_long_edge(image, 2048), 2)
    yield "blur-3-noise-3", ErrorCode.PHOTO_BLURRED, lambda: noisy(blurred(image, 3), 3)
    for stops, label in (
        (-5, ErrorCode.PHOTO_TOO_DARK),
        (-4, ErrorCode.PHOTO_TOO_DARK),
        (-3, EITHER),
        (-2, EITHER),
        (-1, USABLE),
        (1, USABLE),
        (2, EITHER),
        (3, ErrorCode.PHOTO_TOO_BRIGHT),
        (4, ErrorCode.PHOTO_TOO_BRIGHT),
    ):
        yield f"exposure{stops:+d}", label, lambda s=stops: exposed(image, s)
    yield "exposure-4-noise-6", ErrorCode.PHOTO_TOO_DARK, lambda: noisy(exposed(image, -4), 6)
    for factor, label in (
        (0.5, USABLE),
        (0.2, EITHER),
        (0.06, ErrorCode.PHOTO_UNIFORM),
        (0.03, ErrorCode.PHOTO_UNIFORM),
    ):
        yield f"contrast-{factor:g}", label, lambda f=factor: with_contrast(image, f)
    yield "plain-wall", ErrorCode.PHOTO_UNIFORM, lambda: plain_wall(image)
    if base.startswith("figure-"):
        yield "backdrop", ErrorCode.PHOTO_UNIFORM, lambda: backdrop(image)


def _encoded(make: Callable[[], Image.Image | bytes]) -> Callable[[], bytes]:
    def build() -> bytes:
        made = make()
        return made if isinstance(made, bytes) else jpeg(made)

    return build


def samples(limit_bases: int | None = None) -> list[Sample]:
    """The whole set (or the set of the first ``limit_bases`` pictures)."""
    chosen = list(bases().items())[:limit_bases]
    return [
        Sample(base, name, label, _encoded(make))
        for base, image in chosen
        for name, label, make in _transforms(base, image)
    ]


# Evaluating the checks on it --------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    sample: Sample
    verdict: str  # USABLE or the code of the refusal


@dataclass(frozen=True)
class Evaluation:
    outcomes: list[Outcome]

    def of(self, label: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.sample.label == label]

    @property
    def unusable(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.sample.label in REASONS]

    @property
    def refused_share(self) -> float:
        """Unusable photos refused (for whichever reason): the goal is >= 95%."""
        return _share(self.unusable, lambda o: o.verdict != USABLE)

    @property
    def right_reason_share(self) -> float:
        """Unusable photos refused for the reason they were labelled with."""
        return _share(self.unusable, lambda o: o.verdict == o.sample.label)

    @property
    def wrongly_refused_share(self) -> float:
        """Usable photos refused: the goal is <= 2%."""
        return _share(self.of(USABLE), lambda o: o.verdict != USABLE)

    def mistakes(self) -> list[Outcome]:
        return [
            o for o in self.outcomes if o.sample.label != EITHER and o.verdict != o.sample.label
        ]

    def table(self) -> str:
        """The confusion table, label by verdict, as Markdown."""
        verdicts = (USABLE, *REASONS)
        short = {code: str(code).removeprefix("photo_") for code in verdicts}
        lines = [
            "| labelled \\ decided | " + " | ".join(short[v] for v in verdicts) + " | total |",
            "|---" * (len(verdicts) + 2) + "|",
        ]
        for label in LABELS:
            row = self.of(label)
            if not row:
                continue
            counts = [sum(o.verdict == v for o in row) for v in verdicts]
            name = short.get(label, label)
            lines.append(f"| {name} | " + " | ".join(map(str, counts)) + f" | {len(row)} |")
        return "\n".join(lines)


def _share(outcomes: list[Outcome], hit: Callable[[Outcome], bool]) -> float:
    return sum(map(hit, outcomes)) / len(outcomes) if outcomes else 0.0


def decide(data: bytes) -> str:
    """What the shopper's checks say of ``data``: USABLE or the refusal's code."""
    from django.core.exceptions import ValidationError

    from django_tryon.photo_checks import check_photo_quality

    try:
        check_photo_quality(io.BytesIO(data))
    except ValidationError as refusal:
        return str(refusal.code)
    return USABLE


def evaluate(chosen: list[Sample] | None = None) -> Evaluation:
    """Run the checks on every sample (built one at a time: the set never sits in memory)."""
    return Evaluation([Outcome(s, decide(s.build())) for s in (chosen or samples())])
