"""Pictures for the demo catalogue, drawn with Pillow: nothing is downloaded.

Garments are flat lays on pure white (the sandbox provider cuts near-white away when it
lays a garment over a person). Model photos are stylised three-quarter figures on a studio
backdrop, plus scikit-image's bundled NASA astronaut portrait (public domain) when that
package is installed. Everything is drawn at twice the size and scaled down, for smooth edges.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import math
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

RGB = tuple[int, int, int]
Point = tuple[float, float]
Scale = Callable[[Sequence[Point]], list[Point]]
SS = 2  # supersampling factor
GARMENT_SIZE = 800
FIGURE_SIZE = (768, 1024)


def shade(color: RGB, factor: float) -> RGB:
    """``color`` darker (factor < 1) or lighter (factor > 1)."""
    if factor <= 1:
        return (int(color[0] * factor), int(color[1] * factor), int(color[2] * factor))
    return tuple(int(c + (255 - c) * (factor - 1)) for c in color)  # type: ignore[return-value]


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)  # much faster than the default; tens of kB still
    return out.getvalue()


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


# Painting: a mask filled with colour, pattern, cylinder shading, folds and an outline ----


def _pattern(size: tuple[int, int], color: RGB, pattern: str, accent: RGB) -> Image.Image:
    fill = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(fill)
    w, h = size
    step = 26 * SS
    if pattern == "stripes":
        for y in range(0, h, step):
            draw.rectangle((0, y, w, y + step // 3), fill=accent)
    elif pattern == "pinstripes":
        for x in range(0, w, step // 2):
            draw.rectangle((x, 0, x + SS, h), fill=accent)
    elif pattern == "check":
        overlay = Image.new("RGB", size, color)
        odraw = ImageDraw.Draw(overlay)
        for i in range(0, max(w, h), step * 2):
            odraw.rectangle((i, 0, i + step, h), fill=accent)
            odraw.rectangle((0, i, w, i + step), fill=accent)
        fill = Image.blend(fill, overlay, 0.55)
    elif pattern == "dots":
        r = 5 * SS
        for row, y in enumerate(range(0, h, step)):
            for x in range(-step if row % 2 else -step // 2, w, step):
                draw.ellipse((x - r, y - r, x + r, y + r), fill=accent)
    return fill


def _cylinder(size: tuple[int, int], box: tuple[int, int, int, int], depth: float) -> Image.Image:
    """An L image: light in the middle of ``box``, darker towards its sides and bottom."""
    x0, y0, x1, y1 = box
    light = Image.new("L", size, 255)
    bw, bh = max(1, x1 - x0), max(1, y1 - y0)
    row = Image.new("L", (bw, 1))
    row.putdata(
        [
            int(255 * (1 - depth + depth * math.sin(math.pi * (i + 0.5) / bw) ** 0.6))
            for i in range(bw)
        ]
    )
    col = Image.new("L", (1, bh))
    col.putdata([int(255 * (1 - 0.08 * j / bh)) for j in range(bh)])
    light.paste(ImageChops.multiply(row.resize((bw, bh)), col.resize((bw, bh))), (x0, y0))
    return light


def paint(
    base: Image.Image,
    mask: Image.Image,
    color: RGB,
    *,
    pattern: str = "solid",
    accent: RGB = (255, 255, 255),
    depth: float = 0.25,
    folds: list[list[Point]] | None = None,
    outline: bool = True,
) -> None:
    """Fill ``mask`` on ``base`` with a shaded, patterned colour.

    Works on the mask's bounding box (plus a margin for the outline) rather than the whole
    canvas: a leg is a tenth of a figure's canvas, and ``seed_demo`` paints 28 of these.
    """
    box = mask.getbbox()
    if box is None:
        return
    margin = 4 * SS
    x0, y0 = max(0, box[0] - margin), max(0, box[1] - margin)
    x1, y1 = min(base.width, box[2] + margin), min(base.height, box[3] + margin)
    size = (x1 - x0, y1 - y0)
    mask = mask.crop((x0, y0, x1, y1))
    patch = base.crop((x0, y0, x1, y1))
    fill = _pattern(size, color, pattern, accent)
    light = _cylinder(size, (box[0] - x0, box[1] - y0, box[2] - x0, box[3] - y0), depth)
    if folds:
        # Soft creases are smooth: drawn and blurred at a quarter of the size, then scaled up.
        q = 4
        crease = Image.new("L", (size[0] // q + 1, size[1] // q + 1), 255)
        cdraw = ImageDraw.Draw(crease)
        for line in folds:
            points = [((x - x0) / q, (y - y0) / q) for x, y in line]
            cdraw.line(points, fill=212, width=7 * SS // q, joint="curve")
        crease = crease.filter(ImageFilter.GaussianBlur(7 * SS / q))
        crease = crease.resize((crease.width * q, crease.height * q), Image.Resampling.BILINEAR)
        light = ImageChops.multiply(light, crease.crop((0, 0, *size)))
    fill = ImageChops.multiply(fill, Image.merge("RGB", (light, light, light)))
    patch.paste(fill, mask=mask)
    if outline:
        # Grow the mask by a blur and a threshold (much faster than a MaxFilter).
        grown = mask.filter(ImageFilter.BoxBlur(2 * SS)).point(lambda v: 255 if v > 10 else 0)
        ring = ImageChops.subtract(grown, mask)
        patch.paste(shade(color, 0.55), mask=ring)
    base.paste(patch, (x0, y0))


def _mask(size: tuple[int, int], *polygons: list[Point]) -> Image.Image:
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    for polygon in polygons:
        draw.polygon(polygon, fill=255)
    return mask


# Garments, in unit coordinates of a square canvas -------------------------------------


@dataclass(frozen=True)
class GarmentStyle:
    kind: str  # tshirt, shirt, jacket, trousers, skirt, dress, jumpsuit
    color: RGB
    pattern: str = "solid"  # solid, stripes, pinstripes, check, dots
    accent: RGB = (255, 255, 255)


# Outlines of each kind, clockwise from the neck or waist. fmt: off keeps one row per edge.
# fmt: off
_SHAPES: dict[str, list[list[Point]]] = {
    "tshirt": [[
        (0.38, 0.12), (0.44, 0.18), (0.5, 0.2), (0.56, 0.18), (0.62, 0.12), (0.78, 0.16),
        (0.95, 0.34), (0.85, 0.43), (0.76, 0.36), (0.77, 0.9), (0.23, 0.9), (0.24, 0.36),
        (0.15, 0.43), (0.05, 0.34), (0.22, 0.16),
    ]],
    "shirt": [[
        (0.39, 0.1), (0.5, 0.16), (0.61, 0.1), (0.77, 0.15), (0.86, 0.33), (0.94, 0.76),
        (0.83, 0.79), (0.75, 0.42), (0.75, 0.88), (0.62, 0.92), (0.5, 0.9), (0.38, 0.92),
        (0.25, 0.88), (0.25, 0.42), (0.17, 0.79), (0.06, 0.76), (0.14, 0.33), (0.23, 0.15),
    ]],
    "jacket": [[
        (0.38, 0.1), (0.5, 0.14), (0.62, 0.1), (0.79, 0.15), (0.88, 0.33), (0.95, 0.78),
        (0.83, 0.81), (0.76, 0.44), (0.77, 0.9), (0.23, 0.9), (0.24, 0.44), (0.17, 0.81),
        (0.05, 0.78), (0.12, 0.33), (0.21, 0.15),
    ]],
    "trousers": [[
        (0.3, 0.06), (0.7, 0.06), (0.73, 0.2), (0.77, 0.94), (0.56, 0.94), (0.5, 0.34),
        (0.44, 0.94), (0.23, 0.94), (0.27, 0.2),
    ]],
    "skirt": [[
        (0.33, 0.14), (0.67, 0.14), (0.71, 0.26), (0.83, 0.78), (0.66, 0.82), (0.5, 0.83),
        (0.34, 0.82), (0.17, 0.78), (0.29, 0.26),
    ]],
    "dress": [[
        (0.36, 0.05), (0.4, 0.05), (0.44, 0.16), (0.5, 0.2), (0.56, 0.16), (0.6, 0.05),
        (0.64, 0.05), (0.66, 0.2), (0.63, 0.42), (0.7, 0.6), (0.83, 0.93), (0.5, 0.96),
        (0.17, 0.93), (0.3, 0.6), (0.37, 0.42), (0.34, 0.2),
    ]],
    "jumpsuit": [[
        (0.36, 0.04), (0.41, 0.04), (0.45, 0.14), (0.55, 0.14), (0.59, 0.04), (0.64, 0.04),
        (0.72, 0.1), (0.79, 0.22), (0.71, 0.26), (0.66, 0.2), (0.64, 0.4), (0.68, 0.52),
        (0.71, 0.96), (0.54, 0.96), (0.5, 0.6), (0.46, 0.96), (0.29, 0.96), (0.32, 0.52),
        (0.36, 0.4), (0.34, 0.2), (0.29, 0.26), (0.21, 0.22), (0.28, 0.1),
    ]],
}
# fmt: on

# Soft creases, per kind: where fabric folds on a flat lay.
_FOLDS: dict[str, list[list[Point]]] = {
    "tshirt": [[(0.3, 0.5), (0.36, 0.7)], [(0.68, 0.45), (0.62, 0.75)]],
    "shirt": [
        [(0.32, 0.5), (0.36, 0.78)],
        [(0.86, 0.45), (0.88, 0.7)],
        [(0.14, 0.45), (0.12, 0.7)],
    ],
    "jacket": [[(0.3, 0.55), (0.34, 0.8)], [(0.7, 0.55), (0.66, 0.8)]],
    "trousers": [[(0.36, 0.3), (0.34, 0.9)], [(0.64, 0.3), (0.66, 0.9)]],
    "skirt": [[(0.4, 0.3), (0.3, 0.78)], [(0.5, 0.3), (0.5, 0.8)], [(0.6, 0.3), (0.7, 0.78)]],
    "dress": [[(0.44, 0.5), (0.34, 0.9)], [(0.56, 0.5), (0.66, 0.9)]],
    "jumpsuit": [[(0.4, 0.6), (0.38, 0.92)], [(0.6, 0.6), (0.62, 0.92)]],
}


@functools.cache  # deterministic: draw each picture once per process
def garment_image(style: GarmentStyle) -> bytes:
    """A flat lay of the garment on white, as PNG bytes."""
    size = GARMENT_SIZE * SS
    image = Image.new("RGB", (size, size), (255, 255, 255))

    def pts(points: Sequence[Point]) -> list[Point]:
        return [(x * size, y * size) for x, y in points]

    mask = _mask(image.size, *(pts(p) for p in _SHAPES[style.kind]))
    folds = [pts(f) for f in _FOLDS.get(style.kind, [])]
    paint(image, mask, style.color, pattern=style.pattern, accent=style.accent, folds=folds)
    _details(ImageDraw.Draw(image), style, pts)
    return _png(image.reduce(SS))  # a box filter: what supersampling needs, and fast


def _details(draw: ImageDraw.ImageDraw, style: GarmentStyle, p: Scale) -> None:
    """Seams, collars, buttons and pockets, in tones of the garment's colour."""
    dark, light = shade(style.color, 0.6), shade(style.color, 1.35)
    w = 3 * SS
    kind = style.kind
    if kind == "tshirt":
        draw.line(
            p([(0.38, 0.12), (0.44, 0.18), (0.5, 0.2), (0.56, 0.18), (0.62, 0.12)]),
            fill=dark,
            width=w * 2,
        )
        draw.line(p([(0.14, 0.4), (0.06, 0.33)]), fill=dark, width=w)
        draw.line(p([(0.86, 0.4), (0.94, 0.33)]), fill=dark, width=w)
        draw.line(p([(0.23, 0.86), (0.77, 0.86)]), fill=dark, width=w)
    elif kind == "shirt":
        draw.polygon(
            p([(0.39, 0.1), (0.5, 0.16), (0.45, 0.22), (0.36, 0.14)]), fill=light, outline=dark
        )
        draw.polygon(
            p([(0.61, 0.1), (0.5, 0.16), (0.55, 0.22), (0.64, 0.14)]), fill=light, outline=dark
        )
        draw.line(p([(0.5, 0.17), (0.5, 0.9)]), fill=dark, width=w)
        for i in range(6):
            (cx, cy), r = p([(0.5, 0.24 + i * 0.11)])[0], 6 * SS
            draw.ellipse(
                (cx + 8 * SS - r, cy - r, cx + 8 * SS + r, cy + r),
                fill=(245, 245, 240),
                outline=dark,
            )
        draw.rectangle(p([(0.57, 0.3), (0.68, 0.42)]), outline=dark, width=w)
        draw.line(p([(0.83, 0.72), (0.94, 0.7)]), fill=dark, width=w)
        draw.line(p([(0.17, 0.72), (0.06, 0.7)]), fill=dark, width=w)
    elif kind == "jacket":
        draw.polygon(
            p([(0.38, 0.1), (0.5, 0.14), (0.5, 0.5), (0.42, 0.3), (0.33, 0.18)]),
            fill=shade(style.color, 0.8),
            outline=dark,
        )
        draw.polygon(
            p([(0.62, 0.1), (0.5, 0.14), (0.5, 0.5), (0.58, 0.3), (0.67, 0.18)]),
            fill=shade(style.color, 0.8),
            outline=dark,
        )
        draw.line(p([(0.5, 0.5), (0.5, 0.9)]), fill=dark, width=w)
        for cy in (0.58, 0.7, 0.82):
            (cx, y), r = p([(0.47, cy)])[0], 9 * SS
            draw.ellipse((cx - r, y - r, cx + r, y + r), fill=shade(style.color, 0.45))
        for x0 in (0.29, 0.56):
            draw.rectangle(p([(x0, 0.62), (x0 + 0.15, 0.78)]), outline=dark, width=w)
            draw.line(p([(x0, 0.66), (x0 + 0.15, 0.66)]), fill=dark, width=w)
        draw.line(p([(0.23, 0.86), (0.77, 0.86)]), fill=dark, width=w)
    elif kind == "trousers":
        draw.rectangle(p([(0.3, 0.06), (0.7, 0.12)]), outline=dark, width=w)
        for x in (0.36, 0.5, 0.64):
            draw.rectangle(p([(x - 0.01, 0.06), (x + 0.01, 0.13)]), outline=dark, width=w // 2 or 1)
        draw.line(p([(0.5, 0.12), (0.5, 0.3), (0.46, 0.32)]), fill=dark, width=w)
        draw.arc(p([(0.22, 0.04), (0.4, 0.26)]), 0, 90, fill=dark, width=w)
        draw.arc(p([(0.6, 0.04), (0.78, 0.26)]), 90, 180, fill=dark, width=w)
        draw.line(p([(0.35, 0.32), (0.34, 0.92)]), fill=light, width=w)
        draw.line(p([(0.65, 0.32), (0.66, 0.92)]), fill=light, width=w)
    elif kind == "skirt":
        draw.rectangle(
            p([(0.33, 0.14), (0.67, 0.2)]), fill=shade(style.color, 0.85), outline=dark, width=w
        )
        for x0, x1 in ((0.4, 0.32), (0.45, 0.42), (0.55, 0.58), (0.6, 0.68)):
            draw.line(p([(x0, 0.21), (x1, 0.8)]), fill=dark, width=w)
    elif kind == "dress":
        draw.line(p([(0.37, 0.42), (0.63, 0.42)]), fill=dark, width=w * 2)
        draw.line(
            p([(0.34, 0.2), (0.44, 0.16), (0.5, 0.2), (0.56, 0.16), (0.66, 0.2)]),
            fill=dark,
            width=w,
        )
    elif kind == "jumpsuit":
        draw.rectangle(p([(0.35, 0.4), (0.65, 0.45)]), fill=shade(style.color, 0.7))
        draw.rectangle(p([(0.47, 0.39), (0.53, 0.46)]), outline=(210, 190, 120), width=w)
        draw.line(p([(0.5, 0.14), (0.5, 0.4)]), fill=dark, width=w)
        for cy in (0.2, 0.27, 0.34):
            (cx, y), r = p([(0.5, cy)])[0], 6 * SS
            draw.ellipse((cx - r, y - r, cx + r, y + r), fill=light, outline=dark)
        draw.line(p([(0.5, 0.45), (0.5, 0.6)]), fill=dark, width=w)


# Model photos: stylised three-quarter figures ------------------------------------------


@dataclass(frozen=True)
class FigureStyle:
    skin: RGB
    hair: RGB
    hair_style: str  # short, long, bun, curly
    pose: str  # relaxed, hips, wave
    top: RGB = (236, 236, 232)
    bottom: RGB = (70, 72, 80)
    backdrop: RGB = (232, 228, 220)


# A sleeveless top, shoulders to hips, in pixels of the figure canvas.
# fmt: off
_TORSO: list[Point] = [
    (262, 338), (300, 312), (350, 306), (384, 330), (418, 306), (468, 312), (506, 338),
    (478, 520), (452, 600), (472, 700), (296, 700), (316, 600), (290, 520),
]
# fmt: on


@functools.cache
def figure_image(style: FigureStyle) -> bytes:
    """A stylised person from head to knees on a studio backdrop, as JPEG bytes."""
    w, h = FIGURE_SIZE[0] * SS, FIGURE_SIZE[1] * SS
    top_color, bottom_color = style.backdrop, shade(style.backdrop, 0.86)
    image = Image.linear_gradient("L").resize((w, h))
    image = Image.merge(
        "RGB",
        [
            image.point(lambda v, a=a, b=b: int(a + (b - a) * v / 255))
            for a, b in zip(top_color, bottom_color, strict=True)
        ],
    )
    draw = ImageDraw.Draw(image)

    def p(points: Sequence[Point]) -> list[Point]:
        return [(x * SS, y * SS) for x, y in points]

    def circle(cx: float, cy: float, r: float, fill: RGB) -> None:
        draw.ellipse(p([(cx - r, cy - r), (cx + r, cy + r)]), fill=fill)

    skin_dark = shade(style.skin, 0.8)
    if style.hair_style == "long":  # behind the head and shoulders
        draw.rounded_rectangle(p([(310, 130), (458, 400)]), radius=60 * SS, fill=style.hair)
    # Legs, then torso, then arms in front of it.
    for leg in (
        [(300, 690), (384, 690), (376, 1024), (308, 1024)],
        [(384, 690), (468, 690), (460, 1024), (392, 1024)],
    ):
        paint(image, _mask(image.size, p(leg)), style.bottom, depth=0.35, outline=False)
    draw.line(p([(384, 740), (384, 1024)]), fill=shade(style.bottom, 0.6), width=3 * SS)
    paint(
        image,
        _mask(image.size, p([(358, 240), (410, 240), (414, 320), (354, 320)])),
        skin_dark,
        outline=False,
    )
    paint(image, _mask(image.size, p(_TORSO)), style.top, depth=0.3, outline=False)
    draw.line(p([(300, 696), (468, 696)]), fill=shade(style.bottom, 0.8), width=10 * SS)
    arms = {
        "relaxed": [((282, 345), (252, 530), (246, 690)), ((486, 345), (516, 530), (522, 690))],
        "hips": [((282, 345), (196, 500), (300, 610)), ((486, 345), (572, 500), (468, 610))],
        "wave": [((282, 345), (252, 530), (246, 690)), ((486, 345), (600, 250), (586, 120))],
    }[style.pose]
    for shoulder, elbow, hand in arms:
        draw.line(p([shoulder, elbow, hand]), fill=style.skin, width=50 * SS, joint="curve")
        for x, y in (shoulder, elbow):
            circle(x, y, 25, style.skin)
        circle(hand[0], hand[1], 30, skin_dark)
    # Head and face.
    draw.ellipse(p([(322, 108), (446, 266)]), fill=style.skin)
    draw.ellipse(p([(312, 176), (332, 212)]), fill=skin_dark)
    draw.ellipse(p([(436, 176), (456, 212)]), fill=skin_dark)
    for ex in (356, 412):
        draw.ellipse(p([(ex - 8, 180), (ex + 8, 192)]), fill=(40, 32, 30))
        draw.line(p([(ex - 14, 166), (ex + 12, 163)]), fill=shade(style.hair, 0.9), width=4 * SS)
    draw.line(p([(384, 192), (378, 218), (388, 220)]), fill=shade(style.skin, 0.7), width=2 * SS)
    draw.arc(p([(362, 212), (406, 244)]), 20, 160, fill=(150, 70, 70), width=4 * SS)
    _hair(draw, style, p, circle)
    return _jpeg(image.reduce(SS))


def _hair(
    draw: ImageDraw.ImageDraw,
    style: FigureStyle,
    p: Scale,
    dot: Callable[[float, float, float, RGB], None],
) -> None:
    hair = style.hair
    if style.hair_style == "curly":
        curls = [(330, 150), (350, 118), (384, 104), (418, 118), (438, 150), (322, 186), (446, 186)]
        for cx, cy in curls:
            dot(cx, cy, 30, hair)
    else:
        draw.chord(p([(318, 100), (450, 250)]), 180, 360, fill=hair)
        draw.polygon(p([(322, 175), (340, 130), (390, 128), (352, 150), (334, 200)]), fill=hair)
    if style.hair_style == "bun":
        dot(384, 92, 34, hair)


def astronaut_image() -> bytes | None:
    """scikit-image's bundled NASA portrait (public domain), if that package is installed.

    The file is read straight from the installed package: importing skimage is not needed.
    """
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "astronaut.png"
    if not path.is_file():
        return None
    with Image.open(path) as image:
        return _jpeg(image.convert("RGB"))


def picture(style: GarmentStyle | FigureStyle) -> bytes:
    return garment_image(style) if isinstance(style, GarmentStyle) else figure_image(style)


def pictures(styles: Sequence[GarmentStyle | FigureStyle]) -> dict[object, bytes]:
    """Every picture of ``styles``, drawn side by side on every core (Linux: forked workers,
    which only draw). Most of a first ``seed_demo`` is drawing."""
    unique = list(dict.fromkeys(styles))
    workers = min(len(unique), os.cpu_count() or 1)
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return {style: picture(style) for style in unique}
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return dict(zip(unique, pool.map(picture, unique), strict=True))
