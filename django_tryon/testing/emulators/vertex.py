"""A Vertex AI Virtual Try-On emulator, accepted by the official ``google-genai`` client.

Routes (the names ``inject`` takes):

- ``create``: ``POST /{v1|v1beta1}/projects/{project}/locations/{region}/publishers/google/
  models/{model}:predict``, the try-on itself, answered after ``latency`` seconds with
  ``{"predictions": [{"mimeType", "bytesBase64Encoded"}]}``, one per ``sampleCount``;
- ``model``: ``GET /{v1|v1beta1}/publishers/google/models/{model}``, the model's metadata
  (what ``check()`` reads);
- ``token``: ``POST /token``, an OAuth 2.0 token endpoint for google-auth credentials: the
  JWT-bearer grant of a service account (claims checked, the signature is not) and the
  refresh-token grant of user credentials. Each token it issues is accepted afterwards.

Requests need ``Authorization: Bearer`` with ``access_token`` (fixed) or an issued token;
anything else gets 401 ``UNAUTHENTICATED``. Errors have Google's shape,
``{"error": {"code", "message", "status"}}``, which the client raises as ``ClientError`` /
``ServerError`` with ``status``. Requests the real service would refuse are answered 400
``INVALID_ARGUMENT`` and recorded in ``violations``.

Where the client and the REST reference differ, the emulator accepts both, as Google does:

- the client calls ``v1beta1`` (its default API version), the REST reference ``v1``;
- the client sends enum values in upper case (``BLOCK_MEDIUM_AND_ABOVE``), the reference
  shows lower case; they are read case-insensitively;
- the client documents one product image for ``virtual-try-on-001``, the reference allows
  up to three: ``max_product_images`` (1 by default) says how many this emulator takes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, ClassVar, NoReturn
from urllib.parse import parse_qs

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
    render_result,
)

_PREDICT = re.compile(
    r"^/(v1|v1beta1)/projects/(?P<project>[^/]+)/locations/(?P<region>[^/]+)"
    r"/publishers/google/models/(?P<model>[^/:]+):predict$"
)
_MODEL = re.compile(r"^/(v1|v1beta1)/publishers/google/models/(?P<model>[^/:]+)$")
TOKEN_PATH = "/token"  # noqa: S105 - a path, not a secret
MODELS = ("virtual-try-on-001", "virtual-try-on-preview-08-04")
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 - the JWT audience
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"

PARAMETERS = {
    "sampleCount",
    "seed",
    "baseSteps",
    "personGeneration",
    "safetySetting",
    "addWatermark",
    "storageUri",
    "outputOptions",
    "enhancePrompt",
}
PERSON_GENERATION = ("dont_allow", "allow_adult", "allow_all")
SAFETY_SETTINGS = ("block_low_and_above", "block_medium_and_above", "block_only_high", "block_none")
INPUT_MIME_TYPES = ("image/jpeg", "image/png")
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
QUOTA_MESSAGE = (
    "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model "
    "with base model: virtual-try-on. Please submit a quota increase request."
)
RAI_REASON = (
    "Your current safety filter threshold filtered out the generated image. Support codes: 58061214"
)


def google_error(
    status: int, message: str | None = None, headers: Mapping[str, str] | None = None
) -> Response:
    name = STATUS_NAMES.get(status, "UNKNOWN")
    text = message or HTTPStatus(status).phrase
    return json_response(
        {"error": {"code": status, "message": text, "status": name}}, status, headers
    )


def _b64(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


def _jwt_claims(assertion: str) -> dict[str, Any] | None:
    try:
        payload = assertion.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return None
    return claims if isinstance(claims, dict) else None


class VertexEmulator(Emulator):
    """Vertex AI Virtual Try-On on loopback. See the module docstring for routes and rules."""

    name = "vertex"
    routes = ("create", "model", "token")
    # No CDN: the picture is in the answer, so the download faults become payload faults.
    faults: ClassVar[dict[str, FaultSpec]] = {
        **{kind: spec for kind, spec in COMMON_FAULTS.items() if spec.routes is None},
        "rai_filtered": FaultSpec(
            "HTTP 200 whose every prediction was withheld by the safety filters "
            "(`raiFilteredReason`, no bytes)",
            routes=("create",),
        ),
        "no_predictions": FaultSpec(
            "HTTP 200 with an empty `predictions` list, as Google answers when it filters "
            "everything and withholds the reasons",
            routes=("create",),
        ),
        "payload_not_image": FaultSpec(
            "HTTP 200 whose image bytes are an HTML page", routes=("create",)
        ),
        "payload_oversized": FaultSpec(
            "HTTP 200 whose image is `size` bytes (a PNG signature, then zeros)",
            {"size": 40 * 1024 * 1024},
            routes=("create",),
        ),
        "refused_input": FaultSpec(
            "HTTP 400 INVALID_ARGUMENT with `message` (e.g. no person detected)",
            {"message": "No person detected in the person image."},
            routes=("create",),
        ),
    }

    def __init__(
        self,
        *,
        access_token: str = "vertex-test-token",  # noqa: S107 - the emulator's own
        project: str = "tryon-test",
        latency: float = 0.0,
        port: int = 0,
        max_product_images: int = 1,
    ) -> None:
        super().__init__(api_key=access_token, latency=latency, port=port)
        self.project = project
        self.max_product_images = max_product_images
        self.issued_tokens: set[str] = set()
        self.token_grants: list[str] = []  # grant types, in order

    @property
    def access_token(self) -> str:
        return self.api_key

    @property
    def token_uri(self) -> str:
        return self.url(TOKEN_PATH)

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.issued_tokens.clear()
            self.token_grants.clear()

    def route_for(self, method: str, path: str) -> str | None:
        if method == "POST" and _PREDICT.match(path):
            return "create"
        if method == "GET" and _MODEL.match(path):
            return "model"
        if method == "POST" and path == TOKEN_PATH:
            return "token"
        return None

    def error_response(
        self, status: int, message: str | None = None, headers: Mapping[str, str] | None = None
    ) -> Response:
        if status == 429 and message is None:
            message = QUOTA_MESSAGE
        return google_error(status, message, headers)

    def fault_response(self, fault: Fault, record: RecordedRequest) -> Answer | None:
        match fault.kind:
            case "rai_filtered":
                count = self._sample_count(record)
                return json_response({"predictions": [{"raiFilteredReason": RAI_REASON}] * count})
            case "no_predictions":
                return json_response({"predictions": []})
            case "payload_not_image":
                page = html_response(200).body
                assert isinstance(page, bytes)
                prediction = {"mimeType": "image/png", "bytesBase64Encoded": _b64(page)}
                return json_response({"predictions": [prediction]})
            case "payload_oversized":
                content = b"\x89PNG\r\n\x1a\n" + bytes(fault.params["size"])
                prediction = {"mimeType": "image/png", "bytesBase64Encoded": _b64(content)}
                return json_response({"predictions": [prediction]})
            case "refused_input":
                return google_error(400, fault.params["message"])
            case "http_error" if record.route == "token":
                body = {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
                return json_response(body, fault.params["status"])
        return super().fault_response(fault, record)

    @staticmethod
    def _sample_count(record: RecordedRequest) -> int:
        try:
            count = record.json().get("parameters", {}).get("sampleCount", 1)
        except (ValueError, AttributeError):
            return 1
        return count if isinstance(count, int) and 1 <= count <= 4 else 1

    # Handling ------------------------------------------------------------------------

    def handle(self, record: RecordedRequest) -> Answer:
        if record.route is None:
            self.violate(record, "not an endpoint of the Vertex AI API")
            return google_error(404, "The requested URL was not found on this server.")
        if record.route == "token":
            return self._token(record)
        try:
            self._authenticate_token(record)
            if record.route == "model":
                return self._model(record)
            return self._predict(record)
        except Refused as refused:
            return refused.response

    def _authenticate_token(self, record: RecordedRequest) -> None:
        token = bearer_token(record)
        if token is None:
            self.violate(record, "no Authorization: Bearer header")
        elif secrets.compare_digest(token, self.access_token) or token in self.issued_tokens:
            return
        raise Refused(
            google_error(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential.",
            )
        )

    def _token(self, record: RecordedRequest) -> Response:
        form = {k: v[0] for k, v in parse_qs(record.body.decode("latin-1")).items()}
        grant = form.get("grant_type", "")
        if grant == JWT_GRANT:
            claims = _jwt_claims(form.get("assertion", ""))
            problem = None
            if claims is None:
                problem = "the assertion is not a JWT"
            elif claims.get("aud") not in (self.token_uri, GOOGLE_TOKEN_URI):
                problem = f"the JWT's aud is {claims.get('aud')!r}, not this token endpoint"
            elif SCOPE not in str(claims.get("scope", "")).split():
                problem = f"the JWT asks for scope {claims.get('scope')!r}, not {SCOPE}"
            elif not claims.get("iss") or not isinstance(claims.get("exp"), int):
                problem = "the JWT has no iss or exp"
            if problem:
                self.violate(record, problem)
                body = {"error": "invalid_grant", "error_description": problem}
                return json_response(body, 400)
        elif grant == "refresh_token":
            if not form.get("refresh_token") or not form.get("client_id"):
                self.violate(record, "refresh_token grant without refresh_token or client_id")
                return json_response({"error": "invalid_request"}, 400)
        else:
            self.violate(record, f"unsupported grant_type {grant!r}")
            return json_response({"error": "unsupported_grant_type"}, 400)
        token = "ya29.emulated-" + secrets.token_urlsafe(16)
        with self._lock:
            self.issued_tokens.add(token)
            self.token_grants.append(grant)
        return json_response({"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def _model(self, record: RecordedRequest) -> Response:
        match = _MODEL.match(record.path)
        assert match is not None
        model = match["model"]
        if model not in MODELS:
            return google_error(
                404, f"Publisher Model `publishers/google/models/{model}` not found."
            )
        return json_response(
            {
                "name": f"publishers/google/models/{model}",
                "versionId": "001",
                "openSourceCategory": "PROPRIETARY",
                "launchStage": "GA",
            }
        )

    def _invalid(self, record: RecordedRequest, message: str) -> NoReturn:
        self.violate(record, message)
        raise Refused(google_error(400, message))

    def _predict(self, record: RecordedRequest) -> Response:
        match = _PREDICT.match(record.path)
        assert match is not None
        if match["project"] != self.project:
            raise Refused(
                google_error(
                    403,
                    f"Permission 'aiplatform.endpoints.predict' denied on resource "
                    f"'projects/{match['project']}/locations/{match['region']}' "
                    "(or it may not exist).",
                )
            )
        if match["model"] not in MODELS:
            self.violate(record, f"unknown model {match['model']!r}")
            raise Refused(google_error(404, f"Publisher Model `{match['model']}` was not found."))
        if (record.headers.get("Content-Type") or "").split(";")[0] != "application/json":
            self._invalid(record, "the body must be application/json")
        try:
            body = record.json()
        except ValueError:
            self._invalid(record, "Invalid JSON payload received.")
        if not isinstance(body, dict) or set(body) - {"instances", "parameters"}:
            self._invalid(record, "the body has fields other than instances and parameters")
        instances = body.get("instances")
        if not isinstance(instances, list) or len(instances) != 1:
            self._invalid(record, "instances must be a list of exactly one instance")
        instance = instances[0]
        if not isinstance(instance, dict) or set(instance) - {
            "personImage",
            "productImages",
            "prompt",
        }:
            self._invalid(record, "an instance takes personImage, productImages and prompt only")
        if "prompt" in instance:
            self._invalid(record, "prompt is behind an allowlist for this model")
        person = self._image(record, "personImage", instance.get("personImage"))
        products = instance.get("productImages")
        if not isinstance(products, list) or not products:
            self._invalid(record, "productImages must be a non-empty list")
        if len(products) > self.max_product_images:
            self._invalid(
                record,
                f"productImages has {len(products)} images; this model takes "
                f"{self.max_product_images}",
            )
        garments = [self._image(record, f"productImages[{i}]", p) for i, p in enumerate(products)]
        parameters = self._parameters(record, body.get("parameters", {}))

        self.sleep(self.latency)
        count = parameters.get("sampleCount", 1)
        mime_type = parameters.get("outputOptions", {}).get("mimeType", "image/png").lower()
        fmt = "JPEG" if mime_type == "image/jpeg" else "PNG"
        picture = render_result(person, garments[0], fmt)
        predictions = [
            {"mimeType": mime_type, "bytesBase64Encoded": _b64(picture)} for _ in range(count)
        ]
        return json_response({"predictions": predictions})

    def _image(self, record: RecordedRequest, name: str, value: Any) -> bytes:
        image = value.get("image") if isinstance(value, dict) else None
        if not isinstance(image, dict) or (
            set(value) - {"image", "maskImage", "productImageConfig"}
        ):
            self._invalid(record, f"{name} must be {{'image': {{...}}}}")
        if set(image) - {"bytesBase64Encoded", "gcsUri", "mimeType"}:
            self._invalid(record, f"{name}.image has unknown fields {sorted(image)}")
        if ("bytesBase64Encoded" in image) == ("gcsUri" in image):
            self._invalid(record, f"{name}.image needs exactly one of bytesBase64Encoded, gcsUri")
        if "gcsUri" in image:
            self._invalid(record, f"{name}.image.gcsUri: the emulator holds no Cloud Storage")
        mime_type = image.get("mimeType")
        if mime_type is not None and mime_type not in INPUT_MIME_TYPES:
            self._invalid(record, f"{name}.image.mimeType {mime_type!r} is not supported")
        try:
            content = base64.b64decode(image["bytesBase64Encoded"], validate=True)
        except (binascii.Error, ValueError, TypeError):
            self._invalid(record, f"{name}.image.bytesBase64Encoded is not valid base64")
        picture = open_image(content)
        if picture is None or picture.format not in ("JPEG", "PNG"):
            self._invalid(record, f"{name}.image is not a JPEG or PNG image")
        return content

    def _parameters(self, record: RecordedRequest, parameters: Any) -> dict[str, Any]:
        if not isinstance(parameters, dict):
            self._invalid(record, "parameters must be an object")
        unknown = set(parameters) - PARAMETERS
        if unknown:
            self._invalid(record, f"unknown parameters {sorted(unknown)}")

        def whole(name: str, low: int, high: int) -> None:
            value = parameters.get(name)
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high
            ):
                self._invalid(record, f"{name} must be an integer from {low} to {high}")

        whole("sampleCount", 1, 4)
        whole("seed", 0, 4_294_967_295)
        whole("baseSteps", 1, 1000)
        for name, allowed in (
            ("personGeneration", PERSON_GENERATION),
            ("safetySetting", SAFETY_SETTINGS),
        ):
            value = parameters.get(name)
            if value is not None and str(value).lower() not in allowed:
                self._invalid(record, f"{name} must be one of {', '.join(allowed)}")
        if "addWatermark" in parameters and not isinstance(parameters["addWatermark"], bool):
            self._invalid(record, "addWatermark must be a boolean")
        if "seed" in parameters and parameters.get("addWatermark", True):
            self._invalid(record, "seed is not supported when addWatermark is true")
        output = parameters.get("outputOptions", {})
        if not isinstance(output, dict) or set(output) - {"mimeType", "compressionQuality"}:
            self._invalid(record, "outputOptions takes mimeType and compressionQuality")
        if str(output.get("mimeType", "image/png")).lower() not in INPUT_MIME_TYPES:
            self._invalid(record, "outputOptions.mimeType must be image/png or image/jpeg")
        quality = output.get("compressionQuality")
        if quality is not None and (not isinstance(quality, int) or not 0 <= quality <= 100):
            self._invalid(record, "outputOptions.compressionQuality must be 0 to 100")
        if "storageUri" in parameters:
            self._invalid(record, "storageUri: the emulator holds no Cloud Storage")
        return parameters
