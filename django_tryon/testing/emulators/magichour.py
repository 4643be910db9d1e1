"""A Magic Hour emulator: the AI Clothes Changer workflow, checked against the official spec.

Routes (the names ``inject`` takes):

- ``upload_urls``: ``POST /v1/files/upload-urls`` hands out presigned URLs on this server;
- ``upload``: ``PUT`` of the bytes to such a URL (storage: no Authorization header allowed);
- ``create``: ``POST /v1/ai-clothes-changer`` (25 credits per image);
- ``poll``: ``GET /v1/image-projects/{id}``;
- ``delete``: ``DELETE /v1/image-projects/{id}`` (204);
- ``account``: ``GET /v1/account``: credits left, plan (``tier``) and subscription;
- ``download``: ``GET /_cdn/{id}/output.png?expires=...``, a PNG made with Pillow.

A project is ``queued`` for the first half of ``latency`` seconds, ``rendering`` for the
second half, then ``complete`` (or ``error``/``canceled`` when a fault says so; both
refund the credits). ``set_status`` moves a project by hand. Each create spends 25 of the
account's ``credits``; with fewer left, it answers 402.

Every API request is validated against ``magichour_openapi.json`` (the shipped part of the
official spec) plus the rules its descriptions state (valid extensions, assets that are
uploaded file paths or https URLs). A mismatch is recorded in ``violations`` and answered
422 with the details in ``message``.

The official SDK (``magic-hour`` 0.90.0) is generated from a newer spec than the published
one (magichourhq/docs at f5df0c5). Where they disagree the emulator follows the SDK's
models, which describe what the service sends:

- ``POST /v1/ai-clothes-changer`` answers ``frame_cost`` besides ``credits_charged``
  (``V1AiClothesChangerCreateResponse`` requires both);
- ``GET /v1/image-projects/{id}`` carries ``total_frame_cost``
  (``V1ImageProjectsGetResponse`` requires it; the published spec lacks it);
- ``GET /v1/account`` exists (``V1AccountListResponse``: ``id``, ``credits``, ``tier`` in
  business/creator/free/pro, optional ``email`` and ``subscription``); the published spec
  has no such operation, so its answer is not checked against the spec subset;
- ``garment_type: "dresses"`` is accepted, as both still list it (deprecated in favour of
  ``entire_outfit``; the provider never sends it).

Credential check: ``GET /v1/account`` is an authenticated request that costs nothing and
changes nothing. It answers 200 with a valid key and 401 with a bad one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from importlib import resources
from pathlib import PurePosixPath
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit

import requests

from .base import (
    COMMON_FAULTS,
    Answer,
    Emulator,
    FaultSpec,
    RecordedRequest,
    Refused,
    Response,
    json_response,
    new_id,
    open_image,
    render_result,
    xml_error,
)

try:
    import jsonschema
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "The Magic Hour emulator validates requests with jsonschema: "
        "pip install 'django-tryon[testing]'"
    ) from exc

CREDITS_PER_IMAGE = 25  # "Each photo costs 25 credits."
UPLOAD_URL_TTL = 3600.0
# From the description of POST /v1/files/upload-urls.
EXTENSIONS = {
    "video": ["mp4", "m4v", "mov", "webm"],
    "audio": [
        "mp3",
        "wav",
        "aac",
        "flac",
        "webm",
        "weba",
        "m4a",
        "opus",
        "ogg",
        "oga",
        "aiff",
        "amr",
    ],
    "image": [
        "png",
        "jpg",
        "jpeg",
        "jfif",
        "heic",
        "heif",
        "webp",
        "avif",
        "jp2",
        "tiff",
        "tif",
        "bmp",
    ],
}
# Extensions whose bytes Pillow can check against the format they claim.
PILLOW_FORMATS = {
    "png": "PNG",
    "jpg": "JPEG",
    "jpeg": "JPEG",
    "jfif": "JPEG",
    "webp": "WEBP",
    "bmp": "BMP",
    "tif": "TIFF",
    "tiff": "TIFF",
}
EVENT_STATUS = {
    "image.started": "rendering",
    "image.completed": "complete",
    "image.errored": "error",
}
STATUS_EVENT = {status: event for event, status in EVENT_STATUS.items()}
TERMINAL = ("complete", "error", "canceled")
DEFAULT_ERROR = {"code": "no_source_face", "message": "Please use an image with a detectable face"}
ROUTES = {
    ("POST", "/v1/files/upload-urls"): "upload_urls",
    ("POST", "/v1/ai-clothes-changer"): "create",
    ("GET", "/v1/image-projects/{id}"): "poll",
    ("DELETE", "/v1/image-projects/{id}"): "delete",
}
ACCOUNT_PATH = "/v1/account"  # in the SDK, not in the published spec
TIERS = ("business", "creator", "free", "pro")

# OpenAPI 3.0 schemas are JSON Schema draft 4 plus ``nullable``. Formats are checked with
# the standard library so the result doesn't depend on optional jsonschema extras.
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or (
        "T" in value and datetime.fromisoformat(value).tzinfo is not None
    )


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


def _path_pattern(template: str) -> re.Pattern[str]:
    """``/v1/image-projects/{id}`` as a regex for the concrete paths it stands for."""
    parts = ("[^/]+" if part.startswith("{") else re.escape(part) for part in template.split("/"))
    return re.compile("/".join(parts))


def _json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema as plain JSON Schema: ``nullable: true`` lets null through."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    schema = {key: _json_schema(value) for key, value in node.items()}
    if schema.get("nullable") is True and "type" in schema:
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema


class OpenApiSubset:
    """The shipped part of Magic Hour's OpenAPI spec, as jsonschema validators."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._templates = [(_path_pattern(template), template) for template in document["paths"]]

    @classmethod
    def load(cls) -> OpenApiSubset:
        text = (
            resources.files(__package__)
            .joinpath("magichour_openapi.json")
            .read_text(encoding="utf-8")
        )
        return cls(json.loads(text))

    def match(self, path: str) -> str | None:
        """The path template (``/v1/image-projects/{id}``) a concrete path belongs to."""
        return next((tpl for pattern, tpl in self._templates if pattern.fullmatch(path)), None)

    def operation(self, template: str, method: str) -> dict[str, Any] | None:
        return self.document["paths"].get(template, {}).get(method.lower())

    @staticmethod
    def _validator(schema: dict[str, Any]) -> jsonschema.Draft4Validator:
        return jsonschema.Draft4Validator(_json_schema(schema), format_checker=FORMATS)

    def request_validator(self, template: str, method: str) -> jsonschema.Draft4Validator:
        operation = self.operation(template, method) or {}
        return self._validator(operation["requestBody"]["content"]["application/json"]["schema"])

    def response_validator(
        self, template: str, method: str, status: int
    ) -> jsonschema.Draft4Validator:
        operation = self.operation(template, method) or {}
        return self._validator(
            operation["responses"][str(status)]["content"]["application/json"]["schema"]
        )

    def webhook_validator(self, event_type: str) -> jsonschema.Draft4Validator:
        event = self.document["x-webhooks"][event_type]
        return self._validator(event["requestBody"]["content"]["application/json"]["schema"])


def iso(timestamp: float) -> str:
    """A timestamp the way Magic Hour writes them: ``2024-10-19T05:16:19.027Z``."""
    return (
        datetime.fromtimestamp(timestamp, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _errors(validator: jsonschema.Draft4Validator, instance: Any) -> list[str]:
    return [
        f"{'.'.join(map(str, error.absolute_path)) or 'body'}: {error.message}"
        for error in sorted(
            validator.iter_errors(instance), key=lambda error: list(map(str, error.absolute_path))
        )
    ]


@dataclass
class Upload:
    type: str
    extension: str
    token: str
    data: bytes | None = None  # None until the PUT arrives


@dataclass
class Project:
    id: str
    name: str
    created_at: float
    person: str
    garment: str
    garment_type: str | None
    outcome: str = "complete"  # the status it ends in
    error: dict[str, str] | None = None
    empty_downloads: bool = False
    status: str = "queued"
    enabled: bool = True
    credits_charged: int = CREDITS_PER_IMAGE
    result: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SentWebhook:
    url: str
    event_type: str
    project_id: str
    body: bytes
    headers: dict[str, str]
    status_code: int | None  # None when delivery failed
    error: str = ""


class MagicHourEmulator(Emulator):
    """Magic Hour on loopback. See the module docstring for routes and rules.

    ``webhook_url`` and ``webhook_secret`` make the emulator send signed ``image.*`` events
    on status changes, once each, without retries; ``send_webhook`` sends one by hand.
    """

    name = "magichour"
    routes = ("upload_urls", "upload", "create", "poll", "delete", "account", "download")
    faults: ClassVar[dict[str, FaultSpec]] = {
        **COMMON_FAULTS,
        "project_error": FaultSpec(
            "the project created by this request ends in status error with this error",
            {"code": DEFAULT_ERROR["code"], "message": DEFAULT_ERROR["message"]},
            routes=("create",),
        ),
        "project_canceled": FaultSpec(
            "the project created by this request ends canceled", routes=("create",)
        ),
        "empty_downloads": FaultSpec(
            "the project created by this request completes with no downloads", routes=("create",)
        ),
    }
    spec: ClassVar[OpenApiSubset] = OpenApiSubset.load()

    def __init__(
        self,
        *,
        api_key: str = "mh-test-key",
        latency: float = 0.0,
        port: int = 0,
        download_ttl: float = 24 * 3600.0,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        credits: int = 10_000,
        tier: str = "creator",
    ) -> None:
        super().__init__(api_key=api_key, latency=latency, port=port)
        if tier not in TIERS:
            raise ValueError(f"tier must be one of {', '.join(TIERS)}")
        self.credits = credits
        self.tier = tier
        self.download_ttl = download_ttl
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.projects: dict[str, Project] = {}
        self.uploads: dict[str, Upload] = {}
        self.webhooks_sent: list[SentWebhook] = []
        self._outbox: list[tuple[str, str, bytes]] = []  # (event type, project id, body)

    def start(self) -> Self:
        super().start()
        self._spawn(self._tick)
        return self

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.projects.clear()
            self.uploads.clear()
            self.webhooks_sent.clear()
            self._outbox.clear()

    # -- state -------------------------------------------------------------------------

    def set_status(
        self,
        project_id: str,
        status: str,
        *,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None:
        """Move a project to ``status`` now (``canceled``: as a user would in the web app)."""
        with self._lock:
            project = self.projects[project_id]
            if status == "error":
                project.error = {
                    "code": error_code or DEFAULT_ERROR["code"],
                    "message": error_message or DEFAULT_ERROR["message"],
                }
            self._move(project, status)

    def _move(self, project: Project, status: str, *, notify: bool = True) -> None:
        if status == project.status:
            return
        project.status = status
        if status in ("error", "canceled"):
            self.credits += project.credits_charged
            project.credits_charged = 0  # refunded
        if status == "error" and project.error is None:
            project.error = dict(DEFAULT_ERROR)
        event = STATUS_EVENT.get(status)
        if notify and event and self.webhook_url:
            self._outbox.append((event, project.id, self._event_body(event, project)))

    def _advance(self, project: Project) -> None:
        if project.status in TERMINAL:
            return
        elapsed = time.time() - project.created_at
        if elapsed >= self.latency:
            self._move(project, project.outcome)
        elif elapsed >= self.latency / 2:
            self._move(project, "rendering")

    def _tick(self) -> None:
        # Projects advance with time even when nobody polls, so webhooks go out on time.
        while not self._stopping.wait(0.05):
            with self._lock:
                for project in self.projects.values():
                    self._advance(project)
                outbox, self._outbox = self._outbox, []
            for event_type, project_id, body in outbox:
                headers = _signed_headers(body, self.webhook_secret or "", str(int(time.time())))
                self._deliver(self.webhook_url or "", event_type, project_id, body, headers)

    def _project_json(self, project: Project) -> dict[str, Any]:
        downloads = []
        if project.status == "complete" and project.enabled and not project.empty_downloads:
            expires = time.time() + self.download_ttl
            url = self.url(f"/_cdn/{project.id}/output.png?expires={expires:.3f}")
            downloads.append({"url": url, "expires_at": iso(expires)})
        return {
            "id": project.id,
            "name": project.name,
            "status": project.status,
            "image_count": 1,
            "type": "CLOTHES_CHANGER",
            "created_at": iso(project.created_at),
            "enabled": project.enabled,
            "credits_charged": project.credits_charged,
            "total_frame_cost": project.credits_charged,
            "downloads": downloads,
            "error": project.error if project.status == "error" else None,
        }

    # -- webhooks ----------------------------------------------------------------------

    def _event_body(self, event_type: str, project: Project) -> bytes:
        # Compact, like JSON.stringify: what the signature is computed over.
        return json.dumps(
            {"type": event_type, "payload": self._project_json(project)}, separators=(",", ":")
        ).encode()

    def webhook_request(
        self, event_type: str, project_id: str, *, secret: str, timestamp: int | str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of a signed event, for a test client that posts it itself.

        The project first moves to the status the event announces (``image.completed``
        completes it). ``timestamp`` (Unix seconds) and ``secret`` may be stale or wrong
        on purpose.
        """
        if event_type not in EVENT_STATUS:
            raise ValueError(
                f"Unknown event {event_type!r}; choose from {', '.join(EVENT_STATUS)}."
            )
        with self._lock:
            project = self.projects[project_id]
            self._move(project, EVENT_STATUS[event_type], notify=False)
            body = self._event_body(event_type, project)
        return body, _signed_headers(
            body, secret, str(int(time.time()) if timestamp is None else timestamp)
        )

    def send_webhook(
        self,
        url: str,
        secret: str,
        event_type: str,
        project_id: str,
        *,
        timestamp: int | str | None = None,
    ) -> SentWebhook:
        """POST a signed ``image.*`` event about ``project_id`` to ``url``, as Magic Hour does."""
        body, headers = self.webhook_request(
            event_type, project_id, secret=secret, timestamp=timestamp
        )
        return self._deliver(url, event_type, project_id, body, headers)

    def _deliver(
        self, url: str, event_type: str, project_id: str, body: bytes, headers: dict[str, str]
    ) -> SentWebhook:
        try:
            response = requests.post(
                url, data=body, headers=headers, timeout=10, allow_redirects=False
            )
            sent = SentWebhook(url, event_type, project_id, body, headers, response.status_code)
        except requests.RequestException as exc:
            sent = SentWebhook(url, event_type, project_id, body, headers, None, repr(exc))
        with self._lock:
            self.webhooks_sent.append(sent)
        return sent

    # -- requests ----------------------------------------------------------------------

    def route_for(self, method: str, path: str) -> str | None:
        if path.startswith("/_storage/"):
            return "upload" if method == "PUT" else None
        if path.startswith("/_cdn/"):
            return "download" if method == "GET" else None
        if path == ACCOUNT_PATH:
            return "account" if method == "GET" else None
        template = self.spec.match(path)
        return ROUTES.get((method, template)) if template else None

    def error_response(
        self, status: int, message: str | None = None, headers: Mapping[str, str] | None = None
    ) -> Response:
        return json_response({"message": message or HTTPStatus(status).phrase}, status, headers)

    def handle(self, record: RecordedRequest) -> Answer:
        try:
            match record.route:
                case None:
                    self.violate(record, "not an operation in Magic Hour's OpenAPI spec")
                    return self.error_response(404)
                case "upload":
                    return self._put_upload(record)
                case "download":
                    return self._download(record)
            self._authenticate(record)
            match record.route:
                case "upload_urls":
                    return self._upload_urls(record, self._body(record))
                case "create":
                    return self._create(record, self._body(record))
                case "poll":
                    return json_response(self._project_json(self._project(record)))
                case "account":
                    return json_response(self._account_json())
                case _:  # delete
                    self._project(record).enabled = False
                    return Response(204)
        except Refused as refused:
            return refused.response

    def _body(self, record: RecordedRequest) -> Any:
        template = self.spec.match(record.path) or ""
        body = self._json_body(record, 422)
        errors = _errors(self.spec.request_validator(template, record.method), body)
        if errors:
            self._refuse(record, 422, "; ".join(errors))
        return body

    def _project(self, record: RecordedRequest) -> Project:
        with self._lock:
            project = self.projects.get(PurePosixPath(record.path).name)
            if project is None:
                self._refuse(record, 404, "Not Found", violation=False)
            self._advance(project)
            return project

    def _upload_urls(self, record: RecordedRequest, body: dict[str, Any]) -> Response:
        for item in body["items"]:
            kind, extension = item["type"], item["extension"]
            if extension not in EXTENSIONS[kind]:
                allowed = ", ".join(EXTENSIONS[kind])
                self._refuse(
                    record,
                    422,
                    f"'{extension}' is an invalid {kind} extension. "
                    f"Possible extensions are '{allowed}'",
                )
        folder = new_id()
        expires_at = iso(time.time() + UPLOAD_URL_TTL)
        items = []
        with self._lock:
            for number, item in enumerate(body["items"]):
                file_path = f"api-assets/{folder}/{number}.{item['extension']}"
                token = secrets.token_urlsafe(16)
                self.uploads[file_path] = Upload(item["type"], item["extension"], token)
                upload_url = self.url(f"/_storage/{file_path}?signature={token}")
                items.append(
                    {"upload_url": upload_url, "expires_at": expires_at, "file_path": file_path}
                )
        return json_response({"items": items})

    def _put_upload(self, record: RecordedRequest) -> Response:
        upload = self.uploads.get(record.path.removeprefix("/_storage/"))
        if upload is None or record.query.get("signature") != [upload.token]:
            self.violate(record, "PUT to an upload URL the API did not issue")
            return xml_error(
                403, "SignatureDoesNotMatch", "The request signature we calculated does not match"
            )
        if record.headers.get("Authorization"):
            return xml_error(
                400, "InvalidArgument", "Only one auth mechanism allowed; the URL is already signed"
            )  # the violation is recorded for every storage route
        expected = PILLOW_FORMATS.get(upload.extension)
        if not record.body:
            self.violate(record, "the upload is empty")
        elif expected and getattr(open_image(record.body), "format", None) != expected:
            self.violate(
                record,
                f"the bytes are not a {expected} image, as the .{upload.extension} extension says",
            )
        upload.data = record.body
        return Response(200)

    def _check_asset(self, record: RecordedRequest, name: str, value: str) -> None:
        where = f"assets.{name}"
        if value.startswith("https://"):
            extension = PurePosixPath(urlsplit(value).path).suffix.lstrip(".").lower()
            if extension not in EXTENSIONS["image"]:
                self._refuse(record, 422, f"{where}: the URL must end in an image file extension")
            return
        if value.startswith("http://"):
            self._refuse(record, 422, f"{where}: URLs must use https")
        upload = self.uploads.get(value)
        if upload is None:
            self._refuse(
                record, 422, f"{where}: {value!r} is neither an https URL nor an issued file_path"
            )
        if upload.type != "image":
            self._refuse(
                record, 422, f"{where}: {value!r} was declared as {upload.type}, not image"
            )
        if upload.data is None:
            self._refuse(record, 422, f"{where}: nothing was uploaded (PUT) to {value!r}")

    def _create(self, record: RecordedRequest, body: dict[str, Any]) -> Response:
        assets = body["assets"]
        for name in ("person_file_path", "garment_file_path"):
            self._check_asset(record, name, assets[name])
        with self._lock:
            if self.credits < CREDITS_PER_IMAGE:
                self._refuse(record, 402, "Insufficient credits", violation=False)
            self.credits -= CREDITS_PER_IMAGE
        now = time.time()
        project = Project(
            id=new_id(),
            name=body.get("name") or f"Clothes Changer - {iso(now)}",
            created_at=now,
            person=assets["person_file_path"],
            garment=assets["garment_file_path"],
            garment_type=assets.get("garment_type"),
        )
        fault = record.fault
        if fault and fault.kind == "project_error":
            project.outcome = "error"
            project.error = {"code": fault.params["code"], "message": fault.params["message"]}
        elif fault and fault.kind == "project_canceled":
            project.outcome = "canceled"
        elif fault and fault.kind == "empty_downloads":
            project.empty_downloads = True
        with self._lock:
            self.projects[project.id] = project
        return json_response(
            {
                "id": project.id,
                "credits_charged": CREDITS_PER_IMAGE,
                "frame_cost": CREDITS_PER_IMAGE,
            }
        )

    def _account_json(self) -> dict[str, Any]:
        """``V1AccountListResponse`` of the SDK: what the account has left, and its plan."""
        subscription = None
        if self.tier != "free":
            subscription = {
                "name": self.tier.title(),
                "status": "active",
                "billing_interval": "month",
                "cancel_at_period_end": False,
                "current_period_end": iso(time.time() + 30 * 86400),
                "price": {"amount": {"creator": 1500, "pro": 4900}.get(self.tier, 24900),
                          "currency": "usd"},
                "discount": None,
            }  # fmt: skip
        return {
            "id": "account-emulator",
            "email": "shop@example.com",
            "credits": self.credits,
            "tier": self.tier,
            "subscription": subscription,
        }

    def _download(self, record: RecordedRequest) -> Response:
        with self._lock:
            project = self.projects.get(PurePosixPath(record.path).parent.name)
            if project is None or not project.enabled or project.status != "complete":
                return xml_error(404, "NoSuchKey", "The specified key does not exist.")
            try:
                expires = float(record.query["expires"][0])
            except (KeyError, ValueError):
                expires = 0.0
            if expires < time.time():
                return xml_error(403, "AccessDenied", "Request has expired")
            if project.result is None:
                project.result = render_result(
                    self._uploaded(project.person), self._uploaded(project.garment)
                )
            return Response(200, project.result, {"Content-Type": "image/png"})

    def _uploaded(self, file_path: str) -> bytes | None:
        upload = self.uploads.get(file_path)
        return upload.data if upload else None


def _signed_headers(body: bytes, secret: str, timestamp: str) -> dict[str, str]:
    """Magic Hour's signature: hex HMAC-SHA256 of ``{timestamp}.{raw body}`` with the secret."""
    signature = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return {
        "Content-Type": "application/json",
        "magic-hour-event-signature": signature,
        "magic-hour-event-timestamp": timestamp,
    }
