"""Photo checks decide right: unusable photos refused, each with its own words, good ones let through.

The goals (>= 95% of unusable photos refused, <= 2% of usable ones refused) are asserted
on the labelled evaluation set of ``tests/photo_set.py``; ``bench/photo_checks.py``
records the same figures and the table per reason in ``bench/RESULTS.md``.
"""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from PIL import Image, ImageDraw, ImageFilter

from django_tryon.errors import MESSAGES, ErrorCode
from django_tryon.photo_checks import (
    PhotoMeasures,
    check_photo_quality,
    measure_photo,
    percentile,
    verdict,
)
from tests import photo_set
from tests.api import badfiles
from tests.fixtures import make_image
from tests.photo_set import USABLE, blurred, exposed, jpeg


def refusal(data: bytes, **kwargs) -> ValidationError | None:
    try:
        check_photo_quality(io.BytesIO(data), **kwargs)
    except ValidationError as error:
        return error
    return None


def code_of(data: bytes, **kwargs) -> str:
    error = refusal(data, **kwargs)
    return USABLE if error is None else str(error.code)


def person(size=(640, 800)) -> Image.Image:
    return Image.open(io.BytesIO(make_image(size))).convert("RGB")


# The goals, on the labelled evaluation set -------------------------------------------------


@pytest.fixture(scope="module")
def evaluation() -> photo_set.Evaluation:
    return photo_set.evaluate()


def test_the_set_has_every_kind_of_photo_on_every_picture(evaluation):
    assert {"astronaut", "camera", "figure-amara", "test-person"} <= set(photo_set.bases())
    labels = {o.sample.label for o in evaluation.outcomes}
    assert labels == set(photo_set.LABELS)
    assert len(evaluation.of(USABLE)) >= 100 and len(evaluation.unusable) >= 100


def test_at_least_95_percent_of_unusable_photos_are_refused(evaluation):
    missed = [o.sample.id for o in evaluation.unusable if o.verdict == USABLE]
    assert evaluation.refused_share >= 0.95, missed


def test_at_most_2_percent_of_usable_photos_are_refused(evaluation):
    refused = [(o.sample.id, o.verdict) for o in evaluation.of(USABLE) if o.verdict != USABLE]
    assert evaluation.wrongly_refused_share <= 0.02, refused


def test_a_refused_photo_is_refused_for_its_own_reason(evaluation):
    wrong = [
        (o.sample.id, o.sample.label, o.verdict)
        for o in evaluation.unusable
        if o.verdict not in (USABLE, o.sample.label)
    ]
    assert wrong == []


@pytest.mark.parametrize("reason", photo_set.REASONS)
def test_every_reason_is_found_in_most_of_its_photos(evaluation, reason):
    """All of them, but for the known blind spot: a washed-out person in front of a dark
    background (the astronaut's space, the cameraman's coat 3-4 stops over) is measured
    like a person in front of a clipped white studio backdrop, which is fine."""
    outcomes = evaluation.of(reason)
    missed = {o.sample.id for o in outcomes if o.verdict != reason}
    if reason == ErrorCode.PHOTO_TOO_BRIGHT:
        blind_spot = {f"{b}/exposure+{s}" for b in ("astronaut", "camera") for s in (3, 4)}
        assert missed <= blind_spot
        assert len(missed) / len(outcomes) < 0.3
    else:
        assert missed == set()


def test_the_table_counts_every_labelled_photo(evaluation):
    table = evaluation.table()
    assert table.splitlines()[0].startswith("| labelled \\ decided | usable | too_small |")
    rows = {line.split(" | ")[0].strip("| "): line for line in table.splitlines()[2:]}
    assert set(rows) == {
        "usable",
        "too_small",
        "too_dark",
        "too_bright",
        "uniform",
        "blurred",
        "either",
    }
    assert rows["usable"].endswith(f"| {len(evaluation.of(USABLE))} |")


# The order: each failure gets its own words ------------------------------------------------


def test_the_issues_dark_photo_is_told_it_is_dark_not_blank():
    error = refusal(badfiles.dark_photo())
    assert error is not None and error.code == ErrorCode.PHOTO_TOO_DARK
    assert "too dark" in " ".join(error.messages)
    assert "background" not in " ".join(error.messages)


def test_a_black_photo_is_too_dark_before_it_is_uniform():
    assert code_of(jpeg(Image.new("RGB", (640, 800), (3, 3, 3)))) == ErrorCode.PHOTO_TOO_DARK


def test_a_small_photo_is_too_small_whatever_else_is_wrong():
    small_blurred_dark = exposed(blurred(person((400, 500)), 4), -5)
    assert code_of(jpeg(small_blurred_dark)) == ErrorCode.PHOTO_TOO_SMALL


def test_a_plain_light_wall_is_uniform_not_too_bright():
    assert code_of(jpeg(Image.new("RGB", (640, 800), (238, 238, 240)))) == ErrorCode.PHOTO_UNIFORM


def test_an_overexposed_photo_is_too_bright():
    assert code_of(jpeg(exposed(person(), 3))) == ErrorCode.PHOTO_TOO_BRIGHT


def test_a_blurred_photo_is_blurred_and_a_sharp_one_passes():
    assert code_of(jpeg(blurred(person(), 3))) == ErrorCode.PHOTO_BLURRED
    assert code_of(make_image()) == USABLE


def test_a_radius_1_blur_on_a_large_photo_is_no_blur():
    large = person().resize((1600, 2000), Image.Resampling.LANCZOS)
    assert code_of(jpeg(large.filter(ImageFilter.GaussianBlur(1)))) == USABLE
    assert code_of(jpeg(large.filter(ImageFilter.GaussianBlur(12)))) == ErrorCode.PHOTO_BLURRED


def test_a_person_in_dark_clothes_against_a_dark_wall_with_a_lit_face_passes():
    image = Image.new("RGB", (640, 800), (22, 22, 26))
    draw = ImageDraw.Draw(image)
    draw.rectangle((180, 260, 460, 800), fill=(30, 30, 34))  # black jumper
    draw.ellipse((250, 60, 390, 250), fill=(214, 170, 140))  # lit face
    draw.rectangle((262, 40, 378, 110), fill=(60, 40, 30))  # hair
    assert code_of(jpeg(image)) == USABLE


def test_every_refusal_has_its_own_words_in_english_and_german():
    codes = [
        ErrorCode.PHOTO_TOO_DARK,
        ErrorCode.PHOTO_NOT_FULL_LENGTH,
        ErrorCode.PHOTO_TOO_BRIGHT,
        ErrorCode.PHOTO_UNIFORM,
        ErrorCode.PHOTO_BLURRED,
    ]
    english = [str(MESSAGES[code]) for code in codes]
    assert len(set(english)) == len(codes)
    with translation.override("de"):
        german = [str(MESSAGES[code]) for code in codes]
    assert all(g != e for g, e in zip(german, english, strict=True))
    assert german[0].startswith("Dieses Foto ist zu dunkel")


def test_the_words_are_read_in_the_requests_language_not_the_decode_threads():
    error = refusal(badfiles.dark_photo())
    with translation.override("de"):
        assert error.messages == [str(MESSAGES[ErrorCode.PHOTO_TOO_DARK])]
        assert "dunkel" in error.messages[0]


def test_the_too_small_words_name_the_size_and_the_minimum():
    error = refusal(badfiles.tiny_photo())
    assert error.code == ErrorCode.PHOTO_TOO_SMALL
    assert error.messages == [
        "This photo is too small (10×10). Please use a photo at least 512 pixels on each side."
    ]


# Settings, figures, category ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "photo", "before"),
    [
        ("PHOTO_MIN_SHORT_EDGE", 900, lambda: make_image(), ErrorCode.PHOTO_TOO_SMALL),
        ("PHOTO_MIN_BRIGHTNESS", 0, badfiles.dark_photo, USABLE),
        ("PHOTO_MAX_BRIGHTNESS", 255, lambda: jpeg(exposed(person(), 3)), USABLE),
        ("PHOTO_MIN_CONTRAST", 0, lambda: jpeg(Image.new("RGB", (600, 600), "grey")), None),
        ("PHOTO_MIN_SHARPNESS", 0, lambda: jpeg(blurred(person(), 3)), USABLE),
    ],
)
def test_each_threshold_is_a_setting(settings, key, value, photo, before):
    data = photo()
    default = code_of(data)
    settings.TRYON = {**settings.TRYON, key: value}
    changed = code_of(data)
    assert changed != default
    if before is not None:
        assert changed == before


def test_sharpness_falls_as_the_blur_grows():
    image = person()
    figures = [measure_photo(io.BytesIO(jpeg(blurred(image, s)))).sharpness for s in (0, 1, 2, 4)]
    assert figures == sorted(figures, reverse=True)
    assert figures[0] > 0.5 and figures[-1] < 0.25


def test_sharpness_is_the_same_at_any_size():
    image = person()
    small = measure_photo(io.BytesIO(jpeg(blurred(image, 1.5)))).sharpness
    large_image = image.resize((1920, 2400), Image.Resampling.LANCZOS)
    large = measure_photo(io.BytesIO(jpeg(blurred(large_image, 1.5)))).sharpness
    assert abs(small - large) < 0.05


def test_a_too_small_photo_is_not_decoded(monkeypatch):
    def no_decode(*args, **kwargs):
        raise AssertionError("decoded")

    tiny = badfiles.tiny_photo()
    monkeypatch.setattr(Image.Image, "load", no_decode)
    figures = measure_photo(io.BytesIO(tiny))
    assert (figures.width, figures.height, figures.sharpness) == (10, 10, 0.0)


def test_the_verdict_takes_the_garments_category():
    sharp = PhotoMeasures(
        640, 800, highlights=230, shadows=20, clipped=0, contrast=50, sharpness=0.7
    )
    for category in (None, "upper_body", "lower_body", "full_body"):
        assert verdict(sharp, category=category) is None
        assert code_of(make_image(), category=category) == USABLE


def test_a_full_body_garment_refuses_a_landscape_or_square_photo_and_says_so():
    for size in ((800, 640), (700, 700)):
        error = refusal(make_image(size), category="full_body")
        assert error is not None and error.code == ErrorCode.PHOTO_NOT_FULL_LENGTH
        assert "full-length" in " ".join(error.messages)
    with translation.override("de"):
        assert "Ganzkörperfoto" in str(MESSAGES[ErrorCode.PHOTO_NOT_FULL_LENGTH])


def test_the_same_landscape_photo_is_fine_for_a_top_or_a_bottom():
    for category in (None, "upper_body", "lower_body"):
        assert code_of(make_image((800, 640)), category=category) == USABLE


def test_an_upright_phone_photo_stored_sideways_is_full_length():
    sideways = person().transpose(Image.Transpose.ROTATE_90)  # 800x640 pixels
    exif = Image.Exif()
    exif[0x0112] = 6  # "turn 90 degrees to show": the phone was held upright
    out = io.BytesIO()
    sideways.save(out, "JPEG", quality=92, exif=exif)
    assert code_of(out.getvalue(), category="full_body") == USABLE


def test_no_usable_portrait_of_the_evaluation_set_is_refused_for_a_dress():
    portraits = [
        s
        for s in photo_set.samples()
        if s.label == USABLE and "crop" not in s.name and s.base not in ("astronaut", "camera")
    ]
    assert len(portraits) >= 20
    refused = [s.id for s in portraits if code_of(s.build(), category="full_body") != USABLE]
    assert refused == []


def test_the_full_body_aspect_is_a_setting(settings):
    square = make_image((700, 700))
    settings.TRYON = {**settings.TRYON, "PHOTO_FULL_BODY_MAX_ASPECT": 1.0}
    assert code_of(square, category="full_body") == USABLE
    landscape = PhotoMeasures(800, 640, highlights=230, contrast=50, sharpness=0.7)
    assert verdict(landscape, category="full_body") == ErrorCode.PHOTO_NOT_FULL_LENGTH


def test_percentiles_of_a_histogram():
    histogram = [0] * 256
    histogram[10], histogram[200] = 90, 10
    assert percentile(histogram, 0.05) == 10
    assert percentile(histogram, 0.95) == 200
