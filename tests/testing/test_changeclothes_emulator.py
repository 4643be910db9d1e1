"""The Change Clothes AI emulator, driven with plain ``requests``: no Django, no database."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Iterator

import pytest
import requests
from PIL import Image

from django_tryon.testing import ChangeClothesEmulator

pytest_plugins = ["django_tryon.testing.fixtures"]

GARMENT = "/api/openapi/change-clothes-ai"
PROMPT = "/api/openapi/change-clothes-by-prompt"
# The error table of the API document.
CODES = {
    500: "SERVER_ERROR",
    10001: "NOT_LOGIN",
    10002: "USER_NOT_EXIST",
    10003: "INSUFFICIENT_CREDITS",
    10004: "INVALID_PARAM",
    10005: "HARMFUL_CONTENT",
    10006: "INSUFFICIENT_TRAIL_COUNT",
    20001: "TRY_ON_EXCEPTION",
    30001: "INVALID_API_KEY",
    30002: "INVALID_SIGNATURE",
}


def image_bytes(fmt: str = "PNG", color: tuple[int, int, int] = (30, 90, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (48, 64), color).save(out, fmt)
    return out.getvalue()


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


@pytest.fixture
def emulator(changeclothes_emulator: ChangeClothesEmulator) -> ChangeClothesEmulator:
    return changeclothes_emulator


@pytest.fixture
def api(emulator: ChangeClothesEmulator) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {emulator.api_key}"
        yield session


def garment_form(**overrides: object) -> dict[str, object]:
    """``files=`` for the garment endpoint; a None override leaves the field out."""
    form: dict[str, object] = {
        "modelImg": ("model.png", image_bytes(), "image/png"),
        "garmentImg": ("garment.jpg", image_bytes("JPEG", (200, 20, 20)), "image/jpeg"),
        "category": (None, "upper_body"),
        **overrides,
    }
    return {name: value for name, value in form.items() if value is not None}


def prompt_form(**overrides: object) -> dict[str, object]:
    form: dict[str, object] = {
        "modelImg": ("model.png", image_bytes(), "image/png"),
        "prompt": (None, "Help the model change into a blue striped shirt."),
        **overrides,
    }
    return {name: value for name, value in form.items() if value is not None}


def download(url: str) -> Image.Image:
    response = requests.get(url, timeout=5)
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/webp"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "WEBP"
    return image


# -- the two endpoints ---------------------------------------------------------------------


def test_garment_image_endpoint(emulator, api):
    response = api.post(
        emulator.url(GARMENT), files=garment_form(garmentDesc=(None, "A red shirt"))
    )
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 200 and set(body["data"]) == {"resultImgUrl", "maskImgUrl", "cacheHit"}
    assert body["data"]["cacheHit"] is False
    download(body["data"]["resultImgUrl"])
    assert download(body["data"]["maskImgUrl"]).mode in ("L", "RGB")
    record = emulator.requests[0]
    assert record.form == {"category": "upper_body", "garmentDesc": "A red shirt"}
    assert record.input_modes == {"modelImg": "file", "garmentImg": "file"}
    assert emulator.create_calls == 1 and emulator.violations == []


def test_prompt_endpoint_keeps_a_given_seed(emulator, api):
    form = prompt_form(
        seed=(None, "627512067"),
        randomize_seed=(None, "false"),
        guidance_scale=(None, "7.5"),
        num_inference_steps=(None, "28"),
    )
    body = api.post(emulator.url(PROMPT), files=form).json()
    assert body == {
        "code": 200,
        "data": {"resultImgUrl": body["data"]["resultImgUrl"], "seed": 627512067},
    }
    download(body["data"]["resultImgUrl"])
    assert emulator.requests[0].form["guidance_scale"] == "7.5"


@pytest.mark.parametrize("seed", [None, (None, "5")])
def test_prompt_endpoint_draws_a_seed(emulator, api, seed):
    form = prompt_form(seed=seed, randomize_seed=(None, "true") if seed else None)
    seed_out = api.post(emulator.url(PROMPT), files=form).json()["data"]["seed"]
    assert isinstance(seed_out, int) and 0 <= seed_out <= 2_147_483_647


def test_latency(emulator, api):
    emulator.latency = 0.3
    started = time.monotonic()
    assert api.post(emulator.url(GARMENT), files=garment_form()).json()["code"] == 200
    assert time.monotonic() - started >= 0.3


# -- input formats -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "garment", "modes"),
    [
        (
            (None, data_uri(image_bytes())),
            (None, data_uri(image_bytes("JPEG"), "image/jpeg")),
            ("base64", "base64"),
        ),
        (
            (None, "https://shop.example/media/model.jpg"),
            (None, "http://shop.example/g.png"),
            ("url", "url"),
        ),
        (
            ("m.webp", image_bytes("WEBP"), "image/webp"),
            (None, "https://shop.example/g.png"),
            ("file", "url"),
        ),
        # requests' files= with plain strings, as in the API document's Python example
        (data_uri(image_bytes()), "https://shop.example/g.png", ("base64", "url")),
    ],
)
def test_input_modes_are_recorded(emulator, api, model, garment, modes):
    response = api.post(
        emulator.url(GARMENT), files=garment_form(modelImg=model, garmentImg=garment)
    )
    assert response.json()["code"] == 200
    assert emulator.requests[-1].input_modes == dict(
        zip(("modelImg", "garmentImg"), modes, strict=True)
    )
    download(response.json()["data"]["resultImgUrl"])


# -- refusals, all with HTTP 200 ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "form", "parameter"),
    [
        (GARMENT, garment_form(category=(None, "shirt")), "category"),
        (GARMENT, garment_form(garmentImg=None), "garmentImg"),
        (GARMENT, garment_form(modelImg=("m.png", b"not an image", "image/png")), "modelImg"),
        (GARMENT, garment_form(garmentImg=(None, "data:image/png;base64,@@@")), "garmentImg"),
        (GARMENT, garment_form(garment_desc=(None, "typo")), "garment_desc"),
        (PROMPT, prompt_form(prompt=(None, " ")), "prompt"),
        (PROMPT, prompt_form(guidance_scale=(None, "0")), "guidance_scale"),
        (PROMPT, prompt_form(guidance_scale=(None, "100.5")), "guidance_scale"),
        (PROMPT, prompt_form(guidance_scale=(None, "high")), "guidance_scale"),
        (PROMPT, prompt_form(num_inference_steps=(None, "51")), "num_inference_steps"),
        (PROMPT, prompt_form(num_inference_steps=(None, "2.5")), "num_inference_steps"),
        (PROMPT, prompt_form(seed=(None, "-1")), "seed"),
        (PROMPT, prompt_form(seed=(None, "2147483648")), "seed"),
        (PROMPT, prompt_form(randomize_seed=(None, "yes")), "randomize_seed"),
        (PROMPT, prompt_form(category=(None, "upper_body")), "category"),
    ],
)
def test_invalid_parameters_are_10004_naming_the_parameter(emulator, api, path, form, parameter):
    response = api.post(emulator.url(path), files=form)
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 10004 and body["msg"].startswith(f"INVALID_PARAM: {parameter}: ")
    assert emulator.violations == [f"POST {path}: {body['msg']}"]
    emulator.violations.clear()


def test_repeated_field_is_invalid(emulator, api):
    files = [*garment_form().items(), ("category", (None, "lower_body"))]
    assert (
        api.post(emulator.url(GARMENT), files=files).json()["msg"]
        == "INVALID_PARAM: category: sent more than once"
    )
    emulator.violations.clear()


def test_body_must_be_multipart(emulator, api):
    body = api.post(emulator.url(GARMENT), data={"category": "upper_body"}).json()
    assert body == {
        "code": 10004,
        "msg": "INVALID_PARAM: content-type: must be multipart/form-data",
    }
    emulator.violations.clear()


def test_wrong_key_is_30001(emulator):
    response = requests.post(
        emulator.url(GARMENT),
        files=garment_form(),
        headers={"Authorization": "Bearer nope"},
        timeout=5,
    )
    assert (response.status_code, response.json()) == (
        200,
        {"code": 30001, "msg": "INVALID_API_KEY"},
    )
    assert emulator.violations == []


def test_missing_key_is_10001_and_a_violation(emulator):
    response = requests.post(emulator.url(GARMENT), files=garment_form(), timeout=5)
    assert (response.status_code, response.json()) == (200, {"code": 10001, "msg": "NOT_LOGIN"})
    assert emulator.violations.pop() == f"POST {GARMENT}: NOT_LOGIN"


def test_unknown_path_is_a_violation(emulator, api):
    assert (
        api.post(emulator.url("/api/openapi/change-clothes"), files=garment_form()).status_code
        == 404
    )
    assert "not an endpoint" in emulator.violations.pop()


# -- faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_documented_code(emulator, api, code):
    emulator.inject("code", code=code)
    response = api.post(emulator.url(GARMENT), files=garment_form())
    assert (response.status_code, response.json()) == (200, {"code": code, "msg": CODES[code]})
    assert emulator.create_calls == 1 and emulator.files == {}


def test_code_fault_with_a_message(emulator, api):
    emulator.inject("code", code=10004, msg="INVALID_PARAM: modelImg", times=2)
    for path, form in ((GARMENT, garment_form()), (PROMPT, prompt_form())):
        assert api.post(emulator.url(path), files=form).json() == {
            "code": 10004,
            "msg": "INVALID_PARAM: modelImg",
        }
    assert api.post(emulator.url(GARMENT), files=garment_form()).json()["code"] == 200


def test_rate_limit_with_retry_after(emulator, api):
    emulator.inject("http_error", status=429, retry_after=3)
    response = api.post(emulator.url(GARMENT), files=garment_form())
    assert (response.status_code, response.headers["Retry-After"]) == (429, "3")
    assert response.json() == {"code": 429, "msg": "Too Many Requests"}


@pytest.mark.parametrize(
    ("fault", "params", "check"),
    [
        ("html", {"status": 502}, lambda r: r.status_code == 502 and r.text.startswith("<html>")),
        (
            "html",
            {"status": 200},
            lambda r: r.status_code == 200 and r.headers["Content-Type"] == "text/html",
        ),
        ("malformed_json", {}, lambda r: r.status_code == 200 and r.text == '{"id": "cm0trunc'),
        (
            "missing_fields",
            {"fields": ("data.resultImgUrl",)},
            lambda r: set(r.json()["data"]) == {"maskImgUrl", "cacheHit"},
        ),
        ("missing_fields", {}, lambda r: r.json() == {}),
    ],
)
def test_bad_answers(emulator, api, fault, params, check):
    emulator.inject(fault, route="create", **params)
    assert check(api.post(emulator.url(GARMENT), files=garment_form()))


def test_connection_faults(emulator, api):
    emulator.inject("reset")
    with pytest.raises(requests.ConnectionError):
        api.post(emulator.url(GARMENT), files=garment_form())
    emulator.inject("timeout", seconds=2)
    with pytest.raises(requests.ReadTimeout):
        api.post(emulator.url(GARMENT), files=garment_form(), timeout=0.3)
    assert emulator.create_calls == 2 and emulator.files == {}


def test_download_faults(emulator, api):
    url = api.post(emulator.url(GARMENT), files=garment_form()).json()["data"]["resultImgUrl"]
    emulator.inject("expired")
    emulator.inject("not_image", content_type="image/webp")
    emulator.inject("redirect")
    emulator.inject("oversized", size=2 * 1024 * 1024, declare_length=False)
    assert requests.get(url, timeout=5).status_code == 403
    with pytest.raises(OSError):
        Image.open(io.BytesIO(requests.get(url, timeout=5).content))
    redirect = requests.get(url, allow_redirects=False, timeout=5)
    assert redirect.headers["Location"] == "http://169.254.169.254/latest/meta-data/"
    with requests.get(url, stream=True, timeout=5) as response:
        assert "Content-Length" not in response.headers
        assert sum(len(chunk) for chunk in response.iter_content(65536)) == 2 * 1024 * 1024
    download(url)


def test_sending_the_api_key_to_the_cdn_is_a_violation(emulator, api):
    url = api.post(emulator.url(GARMENT), files=garment_form()).json()["data"]["resultImgUrl"]
    assert api.get(url).status_code == 200
    assert "Authorization header was sent to a storage URL" in emulator.violations.pop()


def test_reset(emulator, api):
    api.post(emulator.url(GARMENT), files=garment_form())
    emulator.inject("code")
    emulator.reset()
    assert (emulator.requests, emulator.files, emulator.pending_faults, emulator.create_calls) == (
        [],
        {},
        [],
        0,
    )
