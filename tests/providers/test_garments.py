"""Several garments per call: a capability each provider declares.

A provider with ``garment_limit`` above 1 puts an outfit on the person in one call; the
others say so (``supports_multiple_garments`` is False, ``validate`` refuses more than
one garment before anything is spent), and ``garment_batches`` tells the pipeline which
calls to chain, each on the previous call's result.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from django_tryon.providers.base import BaseProvider, GarmentInput, PermanentError, TryOnRequest
from django_tryon.providers.changeclothes import ChangeClothesProvider
from django_tryon.providers.magichour import MagicHourProvider
from django_tryon.providers.sandbox import SandboxProvider, render_preview
from django_tryon.providers.vertex import VertexProvider
from tests.fixtures import make_image
from tests.providers.support import image, tryon_request


def garments(*categories: str) -> list[GarmentInput]:
    return [GarmentInput(image("PNG", person=False), category) for category in categories]


@pytest.mark.parametrize(
    ("backend", "options", "limit"),
    [
        (SandboxProvider, {}, 4),
        (VertexProvider, {}, 1),  # google-genai documents one product image for -001
        (VertexProvider, {"MAX_GARMENTS": 3}, 3),  # the REST reference allows three
        (VertexProvider, {"MAX_GARMENTS": 9}, 3),  # never above what the backend can do
        (MagicHourProvider, {}, 1),
        (ChangeClothesProvider, {}, 1),
        (SandboxProvider, {"MAX_GARMENTS": 1}, 1),  # an alias may turn it off
    ],
)
def test_each_provider_declares_how_many_garments_one_call_takes(backend, options, limit):
    provider = backend("alias", **options)
    assert provider.garment_limit == limit
    assert provider.supports_multiple_garments is (limit > 1)


def test_the_request_lists_every_garment_first_one_included():
    request = tryon_request(description="linen shirt", extra_garments=garments("lower_body"))
    assert [g.category for g in request.garments] == ["upper_body", "lower_body"]
    assert request.garments[0].description == "linen shirt"
    assert tryon_request(garment=None, prompt="a coat").garments == []


@pytest.mark.parametrize("backend", [MagicHourProvider, ChangeClothesProvider, VertexProvider])
def test_providers_without_the_capability_refuse_an_outfit_before_spending(backend):
    provider = backend("alias", API_KEY="k", PROJECT="p")
    with pytest.raises(PermanentError) as caught:
        provider.validate(tryon_request(extra_garments=garments("lower_body")))
    assert caught.value.code == "too_many_garments"
    assert "one after another" in caught.value.message


def test_a_garment_of_a_category_the_provider_cant_do_is_refused():
    class UpperOnly(BaseProvider):
        categories = frozenset({"upper_body"})
        max_garments = 2

    with pytest.raises(PermanentError) as caught:
        UpperOnly("alias").validate(tryon_request(extra_garments=garments("lower_body")))
    assert caught.value.code == "unsupported_category"


def test_garment_batches_chain_what_one_call_cannot_take():
    outfit = garments("upper_body", "lower_body", "full_body")
    single = MagicHourProvider("alias", API_KEY="k").garment_batches(outfit)
    assert [[g.category for g in batch] for batch in single] == [
        ["upper_body"],
        ["lower_body"],
        ["full_body"],
    ]
    pairs = VertexProvider("alias", PROJECT="p", MAX_GARMENTS=2).garment_batches(outfit)
    assert [len(batch) for batch in pairs] == [2, 1]
    assert SandboxProvider("alias").garment_batches(outfit) == [outfit]


def test_the_sandbox_composites_every_garment_in_its_place():
    red = Image.new("RGB", (60, 60), (220, 20, 20))
    blue = Image.new("RGB", (60, 60), (20, 20, 220))

    def png(picture: Image.Image) -> bytes:
        out = io.BytesIO()
        picture.save(out, "PNG")
        return out.getvalue()

    person = image("JPEG")
    person.content = make_image((400, 800), "JPEG")
    request = TryOnRequest(
        person=person,
        category="upper_body",
        garment=image("PNG", person=False),
        extra_garments=[GarmentInput(image("PNG", person=False), "lower_body")],
    )
    request.garment.content = png(red)
    request.extra_garments[0].image.content = png(blue)
    result = Image.open(io.BytesIO(render_preview(request))).convert("RGB")
    width, height = result.size
    top = result.getpixel((width // 2, int(height * 0.52)))
    bottom = result.getpixel((width // 2, int(height * 0.80)))
    assert top[0] > 150 and top[2] < 100  # the shirt where a shirt goes
    assert bottom[2] > 150 and bottom[0] < 100  # the trousers where trousers go


def test_the_sandbox_takes_an_outfit_end_to_end(settings):
    provider = SandboxProvider("sandbox", LATENCY=0)
    request = tryon_request(extra_garments=garments("lower_body", "full_body"))
    provider.validate(request)
    job = provider.submit(request)
    with provider.open_result(provider.poll(job), request) as stream:
        assert Image.open(stream).format == "JPEG"
