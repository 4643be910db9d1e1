"""Hostile input, property-based: the shopper upload endpoint and ``request_tryon``.

Whatever arrives (``hostile.py``): never a 500, never a credit on a refused upload, nothing
left in storage for it; and what is accepted is stored re-encoded, under a random name,
without the metadata or the bytes it came with.
"""

from __future__ import annotations

import io
import re
import secrets
from collections import Counter
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django_q.models import OrmQ
from hypothesis import example, given
from hypothesis import strategies as st
from PIL import Image

from django_tryon.models import ModelPhoto, Source, TryOnJob
from django_tryon.services import delete_job, request_tryon
from django_tryon.services.photos import delete_photo
from tests.fixtures import make_image
from tests.reliability.figures import record
from tests.security.conftest import CREATE_URL, stored
from tests.security.hostile import (
    MARKERS,
    TRAVERSALS,
    bombs,
    filenames,
    huge_canvas,
    png_bomb,
    uploads,
)

pytestmark = pytest.mark.django_db

STORED_PHOTO = re.compile(r"^tryon/people/\d{4}/\d{2}/[A-Za-z0-9_-]{22}\.jpg$")


@pytest.fixture(autouse=True)
def _no_rate_limits(settings: Any) -> None:
    # Thousands of uploads from one client: the limits are tested in tests/api.
    settings.TRYON = {**settings.TRYON, "RATE_LIMITS": {}}


def multipart(fields: dict[str, str], photo: bytes, filename: str) -> tuple[bytes, str]:
    """A multipart body as a hostile client writes it: the file name sent as given."""
    boundary = secrets.token_hex(16)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    name = filename.replace("\r", "").replace("\n", "").replace('"', "%22")
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="{name}"\r\n'
        f"Content-Type: image/jpeg\r\n\r\n".encode("utf-8", "surrogatepass")
        + photo
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary


def assert_clean_photo(name: str, original: bytes) -> None:
    from django_tryon.storage import private_storage

    assert STORED_PHOTO.match(name), name  # random, whatever the upload was called
    with private_storage().open(name, "rb") as handle:
        data = handle.read()
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.mode) == ("JPEG", "RGB")
        assert not image.getexif() and "comment" not in image.info
    for marker in MARKERS:
        assert marker not in data  # re-encoded: nothing of a polyglot survives
    assert data != original


class Tally:
    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter()

    def report(self, name: str) -> None:
        record("hypothesis_examples", **{name: sum(self.outcomes.values())})
        record(f"hostile_outcomes_{name}", **dict(self.outcomes))
        record(
            "hostile_input",
            examples=sum(self.outcomes.values()),
            http_500=self.outcomes["500"],
            credits_on_refused=0,
            files_left_by_refused=0,
        )


@pytest.fixture
def tally() -> Any:
    counts = Tally()
    yield counts
    counts.report(counts.name) if hasattr(counts, "name") else None


@given(photo=uploads(), filename=filenames())
@example(photo=make_image((640, 800)), filename=TRAVERSALS[0])
def test_the_shopper_endpoint(shopper_browser, garment, tally, photo, filename):
    tally.name = "shopper_endpoint"
    jobs_before = set(TryOnJob.objects.values_list("pk", flat=True))
    files_before, queued_before = stored(), OrmQ.objects.count()
    body, boundary = multipart({"garment": str(garment.pk), "consent": "1"}, photo, filename)
    response = shopper_browser.post(
        CREATE_URL, data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    tally.outcomes[str(response.status_code)] += 1
    assert response.status_code < 500, response.content
    assert response["Content-Type"] == "application/json"
    new_jobs = TryOnJob.objects.exclude(pk__in=jobs_before)
    if response.status_code != 201:
        payload = response.json()
        assert payload["code"] and payload["message"]
        # Refused: no job (so no credit, estimated or spent), no file, no task.
        assert not new_jobs.exists()
        assert stored() == files_before
        assert OrmQ.objects.count() == queued_before
        return
    job = new_jobs.get()
    try:
        assert job.credits_charged == 0 and job.source == Source.SHOPPER
        assert_clean_photo(job.person_file.name, photo)
    finally:  # the next example starts from the same state: the visit's photo goes too
        if job.shopper_photo is not None:
            delete_photo(job.shopper_photo)
        else:
            delete_job(job)
    assert stored() == files_before


@given(photo=uploads())
def test_request_tryon(garment, tally, photo):
    """The Python API: a ValidationError naming the problem, or a job; nothing else."""
    tally.name = "request_tryon"
    files_before = stored()
    jobs_before = set(TryOnJob.objects.values_list("pk", flat=True))
    try:
        job = request_tryon(garment, photo)
    except ValidationError as error:
        tally.outcomes[str(error.code)] += 1
        assert error.code and error.messages
        assert not TryOnJob.objects.exclude(pk__in=jobs_before).exists()
        assert stored() == files_before
        return
    tally.outcomes["accepted"] += 1
    try:
        assert_clean_photo(job.person_file.name, photo)
    finally:
        delete_job(job)


@given(content=st.one_of(uploads(), bombs()))
def test_a_hostile_model_photo_or_garment_already_in_storage(garment, tally, content):
    """Files that reached storage by another way (a script, a shell): still refused."""
    tally.name = "stored_images"
    photo = ModelPhoto(name="stored")
    photo.image.save("x.jpg", ContentFile(content or b"\x00"), save=False)
    try:
        photo.save()
    except Exception as exc:  # Django refusing to read it is fine; anything else is not
        tally.outcomes[type(exc).__name__] += 1
        assert isinstance(exc, OSError | ValidationError | Image.DecompressionBombError), exc
        return
    try:
        job = request_tryon(garment, photo)
    except ValidationError as error:
        tally.outcomes[str(error.code)] += 1
        assert not TryOnJob.objects.filter(model_photo=photo).exists()
    else:
        tally.outcomes["accepted"] += 1
        job.delete()
    finally:
        photo.delete()


def _frames(fmt: str) -> bytes:
    frames = [
        Image.open(io.BytesIO(make_image((640, 800), color=(40 * i, 90, 120)))).convert("RGB")
        for i in range(3)
    ]
    out = io.BytesIO()
    frames[0].save(out, fmt, save_all=True, append_images=frames[1:])
    return out.getvalue()


def _oriented(orientation: int) -> bytes:
    image = Image.open(io.BytesIO(make_image((640, 800))))
    exif = image.getexif()
    exif[0x0112] = orientation
    exif[0x010F] = "SecretCam"  # Make: metadata that must not survive
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"shot at 52.52N 13.40E")
    return out.getvalue()


def _mode(mode: str, fmt: str, **params: Any) -> bytes:
    image = Image.open(io.BytesIO(make_image((640, 800)))).convert("RGB")
    image = image.convert("L").convert(mode) if mode == "I;16" else image.convert(mode)
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


NAMED = {
    # kind: (bytes, status, code or expected stored size)
    "CMYK JPEG": (lambda: _mode("CMYK", "JPEG"), 201, (640, 800)),
    "16-bit PNG": (lambda: _mode("I;16", "PNG"), 201, (640, 800)),
    "palette PNG, transparent": (lambda: _mode("P", "PNG", transparency=0), 201, (640, 800)),
    "animated PNG": (lambda: _frames("PNG"), 201, (640, 800)),
    "animated WebP": (lambda: _frames("WEBP"), 201, (640, 800)),
    "animated GIF": (lambda: _frames("GIF"), 400, "unsupported_format"),
    "EXIF orientation 6": (lambda: _oriented(6), 201, (800, 640)),
    "EXIF orientation 8": (lambda: _oriented(8), 201, (800, 640)),
    "EXIF orientation 3": (lambda: _oriented(3), 201, (640, 800)),
    "JPEG + zip polyglot": (lambda: make_image((640, 800)) + b"PK\x03\x04evil", 201, (640, 800)),
    "HTML with a JPEG signature": (lambda: b"\xff\xd8\xff<html><script>x</script>", 400, None),
    "truncated JPEG": (lambda: make_image((640, 800))[:3000], 400, "truncated_image"),
    "PNG bomb, 900 MP": (lambda: png_bomb(30_000, 30_000), 413, "too_many_pixels"),
    "one pixel wide, over the cap": (lambda: huge_canvas(1, 40_000_001), 413, "too_many_pixels"),
}


@pytest.mark.parametrize("kind", list(NAMED))
@pytest.mark.parametrize("filename", ["me.jpg", "../../../etc/passwd", "фото 🙂.png"])
def test_each_named_kind_through_the_endpoint(shopper_browser, garment, kind, filename):
    make, status, expected = NAMED[kind]
    photo = make()
    body, boundary = multipart({"garment": str(garment.pk), "consent": "1"}, photo, filename)
    response = shopper_browser.post(
        CREATE_URL, data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == status, response.content
    if status != 201:
        if expected:
            assert response.json()["code"] == expected
        assert not TryOnJob.objects.exists() and stored("tryon/people") == []
    else:
        job = TryOnJob.objects.get()
        assert_clean_photo(job.person_file.name, photo)
        with job.person_file.open("rb") as handle, Image.open(handle) as image:
            assert image.size == expected  # orientation applied, first frame taken
    record("security_probes", hostile_named_kinds=1)


def test_a_genuine_picture_at_the_pixel_cap_is_decoded_within_bounds(garment, settings):
    """40 megapixels that compress to almost nothing: accepted, downscaled, no blow-up."""
    import resource

    photo = huge_canvas(6400, 6250)  # exactly MAX_IMAGE_PIXELS
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    job = request_tryon(garment, photo)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    with job.person_file.open("rb") as handle, Image.open(handle) as image:
        assert max(image.size) == settings.TRYON.get("PHOTO_MAX_EDGE", 2048)
    assert grown_mb < 400, grown_mb  # a few copies of 40 MP of one channel, not more
    record("security_probes", pixel_cap=1)
