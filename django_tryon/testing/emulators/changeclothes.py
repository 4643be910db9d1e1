"""A Change Clothes AI emulator, following the API document the project was created from.

Routes (the names ``inject`` takes):

- ``create``: the two synchronous endpoints, multipart ``POST /api/openapi/change-clothes-ai``
  (``modelImg``, ``garmentImg``, ``category``, optional ``garmentDesc``) and
  ``POST /api/openapi/change-clothes-by-prompt`` (``modelImg``, ``prompt``, optional
  ``seed``, ``randomize_seed``, ``guidance_scale``, ``num_inference_steps``);
- ``download``: ``GET /_cdn/change-clothes-ai/<name>.webp``, the result and mask images.

Like the real service, every outcome is HTTP 200 with a ``code`` in the body: 200 with
``data`` after ``latency`` seconds, or a documented error code with ``msg``. No Bearer
header gives 10001, a wrong key 30001. An invalid parameter gives 10004 with
``msg`` = ``INVALID_PARAM: <parameter>: <why>``. Refusals caused by the request itself
(10001, 10004, an unknown path) are also recorded in ``violations``.

Images may be a file part, a ``data:image/<type>;base64,...`` string or an http(s) URL
(never fetched). ``requests[-1].input_modes`` tells which, judged by content: clients such
as requests' ``files=`` send plain strings as file parts too.

Change Clothes AI publishes no official Python SDK (none on the package index; its API
document gives a ``requests`` example instead, which
``tests/testing/test_changeclothes_emulator.py`` follows against this emulator).
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import re
import secrets
import time
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, ClassVar, NoReturn

from PIL import Image, ImageDraw

from .base import (
    COMMON_FAULTS,
    Answer,
    Emulator,
    Fault,
    FaultSpec,
    RecordedRequest,
    Refused,
    Response,
    bearer_token,
    html_response,
    json_response,
    open_image,
    parse_form,
    render_result,
    xml_error,
)

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
GARMENT = "/api/openapi/change-clothes-ai"
PROMPT = "/api/openapi/change-clothes-by-prompt"
# Per endpoint: (required fields, optional fields).
FIELDS = {
    GARMENT: (("modelImg", "garmentImg", "category"), ("garmentDesc",)),
    PROMPT: (
        ("modelImg", "prompt"),
        ("seed", "randomize_seed", "guidance_scale", "num_inference_steps"),
    ),
}
IMAGE_FIELDS = ("modelImg", "garmentImg")
CATEGORIES = ("upper_body", "lower_body", "dresses")
MAX_SEED = 2_147_483_647
CDN_PREFIX = "/_cdn/change-clothes-ai/"
_DATA_URI = re.compile(rb"data:image/[\w.+-]+;base64,(.*)", re.DOTALL)
_URL = re.compile(rb"https?://\S+")
_DIGITS = re.compile(r"\d+")


def _answer(code: int, msg: str | None = None) -> Response:
    return json_response({"code": code, "msg": msg or CODES.get(code, "ERROR")})


def _mask() -> bytes:
    """A stand-in inpaint mask: white where the garment goes."""
    mask = Image.new("L", (512, 768), 0)
    ImageDraw.Draw(mask).rectangle((154, 192, 358, 499), fill=255)
    out = io.BytesIO()
    mask.save(out, "WEBP")
    return out.getvalue()


class ChangeClothesEmulator(Emulator):
    """Change Clothes AI on loopback. See the module docstring for routes and rules."""

    name = "changeclothes"
    routes = ("create", "download")
    faults: ClassVar[dict[str, FaultSpec]] = {
        **COMMON_FAULTS,
        "code": FaultSpec(
            "HTTP 200 with a documented error `code` and `msg` (default: the code's name)",
            {"code": 500, "msg": None},
            routes=("create",),
        ),
    }

    def __init__(
        self, *, api_key: str = "cc-test-key", latency: float = 0.0, port: int = 0
    ) -> None:
        super().__init__(api_key=api_key, latency=latency, port=port)
        self.files: dict[str, bytes] = {}  # served under CDN_PREFIX

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.files.clear()

    def route_for(self, method: str, path: str) -> str | None:
        if method == "POST" and path in FIELDS:
            return "create"
        if method == "GET" and path.startswith(CDN_PREFIX):
            return "download"
        return None

    def error_response(
        self, status: int, message: str | None = None, headers: Mapping[str, str] | None = None
    ) -> Response:
        return json_response(
            {"code": status, "msg": message or HTTPStatus(status).phrase}, status, headers
        )

    def fault_response(self, fault: Fault, record: RecordedRequest) -> Answer | None:
        if fault.kind == "code":
            return _answer(fault.params["code"], fault.params["msg"])
        return super().fault_response(fault, record)

    def handle(self, record: RecordedRequest) -> Answer:
        if record.route is None:
            self.violate(record, "not an endpoint of the Change Clothes AI API")
            return html_response(404)
        if record.route == "download":
            data = self.files.get(record.path.removeprefix(CDN_PREFIX))
            if data is None:
                return xml_error(404, "NoSuchKey", "The specified key does not exist.")
            return Response(200, data, {"Content-Type": "image/webp"})
        try:
            return self._change_clothes(record)
        except Refused as refused:
            return refused.response

    def _fail(
        self, record: RecordedRequest, code: int, msg: str, *, violation: bool = True
    ) -> NoReturn:
        if violation:
            self.violate(record, msg)
        raise Refused(_answer(code, msg))

    def _invalid(self, record: RecordedRequest, name: str, why: str) -> NoReturn:
        self._fail(record, 10004, f"INVALID_PARAM: {name}: {why}")

    def _change_clothes(self, record: RecordedRequest) -> Response:
        token = bearer_token(record)
        if token is None:
            self._fail(record, 10001, "NOT_LOGIN")
        if not secrets.compare_digest(token, self.api_key):
            self._fail(record, 30001, "INVALID_API_KEY", violation=False)
        form = parse_form(record.headers.get("Content-Type") or "", record.body)
        if form is None:
            self._invalid(record, "content-type", "must be multipart/form-data")
        required, optional = FIELDS[record.path]
        for name, parts in form.items():
            if name not in required + optional:
                self._invalid(record, name, "unknown parameter")
            if len(parts) > 1:
                self._invalid(record, name, "sent more than once")
        images = {
            name: self._image(record, name, form[name][0]) for name in IMAGE_FIELDS if name in form
        }
        record.form = {
            name: self._text(record, name, parts[0])
            for name, parts in form.items()
            if name not in images
        }
        for name in required:
            if name not in form:
                self._invalid(record, name, "is required")
        self._check_values(record, record.form)

        self.sleep(self.latency)
        result_id = str(time.time_ns())  # the real service names results like this too
        data: dict[str, Any] = {"resultImgUrl": self.url(f"{CDN_PREFIX}{result_id}.webp")}
        with self._lock:
            self.files[f"{result_id}.webp"] = render_result(
                images["modelImg"], images.get("garmentImg"), "WEBP"
            )
            if record.path == GARMENT:
                self.files[f"{result_id}-mask.webp"] = _mask()
        if record.path == GARMENT:
            mask_url = self.url(f"{CDN_PREFIX}{result_id}-mask.webp")
            data |= {"maskImgUrl": mask_url, "cacheHit": False}
        else:
            seed = record.form.get("seed")
            if seed is None or record.form.get("randomize_seed") == "true":
                data["seed"] = secrets.randbelow(MAX_SEED + 1)
            else:
                data["seed"] = int(seed)
        return json_response({"code": 200, "data": data})

    def _image(self, record: RecordedRequest, name: str, value: bytes) -> bytes | None:
        """The image bytes of a field (None for a URL), noting how it was sent."""
        if _URL.fullmatch(value.strip()):
            record.input_modes[name] = "url"
            return None
        uri = _DATA_URI.fullmatch(value.strip())
        record.input_modes[name] = "base64" if uri else "file"
        data = value
        if uri:
            try:
                data = base64.b64decode(uri.group(1), validate=True)
            except binascii.Error:
                self._invalid(record, name, "the data URI is not valid base64")
        if open_image(data) is None:
            self._invalid(record, name, "is not an image, an image data URI or an http(s) URL")
        return data

    def _text(self, record: RecordedRequest, name: str, value: bytes) -> str:
        try:
            return value.decode()
        except UnicodeDecodeError:
            self._invalid(record, name, "is not UTF-8 text")

    def _check_values(self, record: RecordedRequest, form: dict[str, str]) -> None:
        if "category" in form and form["category"] not in CATEGORIES:
            self._invalid(record, "category", f"must be one of {', '.join(CATEGORIES)}")
        if "prompt" in form and not form["prompt"].strip():
            self._invalid(record, "prompt", "must not be empty")
        if "seed" in form and not (
            _DIGITS.fullmatch(form["seed"]) and int(form["seed"]) <= MAX_SEED
        ):
            self._invalid(record, "seed", f"must be an integer from 0 to {MAX_SEED}")
        if "randomize_seed" in form and form["randomize_seed"] not in ("true", "false"):
            self._invalid(record, "randomize_seed", "must be true or false")
        if "guidance_scale" in form:
            try:
                scale = float(form["guidance_scale"])
            except ValueError:
                scale = math.nan
            if not 1 <= scale <= 100:
                self._invalid(record, "guidance_scale", "must be a number from 1 to 100")
        steps = form.get("num_inference_steps")
        if steps is not None and not (_DIGITS.fullmatch(steps) and 1 <= int(steps) <= 50):
            self._invalid(record, "num_inference_steps", "must be an integer from 1 to 50")
