"""Google Vertex AI Virtual Try-On (model ``virtual-try-on-001``).

One synchronous call does the whole try-on::

    POST {BASE_URL}/v1/projects/{PROJECT}/locations/{REGION}/publishers/google/models/{MODEL}:predict
    {"instances": [{"personImage": {"image": {"bytesBase64Encoded": ...}},
                    "productImages": [{"image": {"bytesBase64Encoded": ...}}]}],
     "parameters": {"sampleCount": 1, "personGeneration": ..., "safetySetting": ..., ...}}

and answers ``{"predictions": [{"mimeType": "image/png", "bytesBase64Encoded": ...}]}``, a
prediction per sample that passed Google's safety filters (a filtered one carries
``raiFilteredReason`` instead of bytes). The shapes follow the official ``google-genai``
client (``models.recontext_image``: ``_RecontextImageSource_to_vertex``,
``_RecontextImageConfig_to_vertex``) and Google's REST reference.

Credentials come from ``google-auth`` (``pip install django-tryon[vertex]``): a service
account key (``CREDENTIALS_FILE`` or ``CREDENTIALS_INFO``), else Application Default
Credentials (``GOOGLE_APPLICATION_CREDENTIALS``, ``gcloud auth application-default login``,
or the metadata server on Google Cloud). ``ACCESS_TOKEN`` is for emulators and short tests.

The picture arrives inside the answer, not as a URL: ``submit`` returns a finished job and
keeps the bytes in this process for ``open_result``, which the same worker calls at once.
Should they be gone (the worker died or the storage failed in between), ``open_result``
asks Google once more, with the job's seed, and logs that a second picture was paid for.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

import requests
from PIL import Image

from ..conf import tryon_settings
from ..imaging import sniff_image_format
from .base import (
    AccountError,
    CheckResult,
    ImageInput,
    JobState,
    PermanentError,
    ProviderError,
    ProviderJob,
    TransientError,
    TryOnRequest,
)
from .http import HttpProvider, capped_chunks, parse_retry_after

logger = logging.getLogger("django_tryon.providers.vertex")

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
MODEL = "virtual-try-on-001"
# Documented values (the client's enums, sent in the REST reference's lower case).
PERSON_GENERATION = ("dont_allow", "allow_adult", "allow_all")
SAFETY_SETTINGS = (
    "block_low_and_above",
    "block_medium_and_above",
    "block_only_high",
    "block_none",
)
OUTPUT_MIME_TYPES = ("image/png", "image/jpeg")
MAX_SAMPLES = 4
MAX_SEED = 4_294_967_295  # uint32
# Product images per call: the REST reference allows 3; the client documents one for
# virtual-try-on-001, which is the default (MAX_GARMENTS raises it for newer models).
MAX_PRODUCT_IMAGES = 3
SENDABLE_FORMATS = ("JPEG", "PNG")  # the documented input types
# Finished pictures kept per process between ``submit`` and ``open_result``.
HELD_RESULTS = 4

# Google's error ``status`` -> (kind, our code), for statuses whose HTTP code alone is vaguer.
STATUSES: dict[str, tuple[type[ProviderError], str]] = {
    "RESOURCE_EXHAUSTED": (TransientError, "rate_limited"),  # quota: requests per minute
    "UNAVAILABLE": (TransientError, "provider_unavailable"),
    "INTERNAL": (TransientError, "provider_unavailable"),
    "DEADLINE_EXCEEDED": (TransientError, "timeout"),
    "ABORTED": (TransientError, "provider_unavailable"),
    "UNAUTHENTICATED": (AccountError, "auth_failed"),
    "PERMISSION_DENIED": (AccountError, "auth_failed"),
}


def _nothing_created(error: ProviderError) -> ProviderError:
    # Synchronous: an answer that says "no" leaves nothing at Google to follow or pay for.
    error.no_job_created = True
    return error


def _whole(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        value = None
    try:
        number = int(str(value))
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise PermanentError(
            "invalid_input",
            f"{name} must be a whole number from {low} to {high}.",
            provider_code=f"param:{name}",
        )
    return number


def _send_format(image: ImageInput) -> tuple[bytes, str]:
    """Bytes and MIME type Vertex accepts: JPEG and PNG as they are, anything else as PNG."""
    if image.format in SENDABLE_FORMATS:
        return image.content, image.content_type
    out = io.BytesIO()
    with Image.open(io.BytesIO(image.content)) as picture:
        picture.save(out, "PNG")
    return out.getvalue(), "image/png"


def _error_body(response: requests.Response) -> dict[str, Any]:
    """``{"code", "message", "status"}`` of Google's JSON error, or {} for anything else."""
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


class VertexProvider(HttpProvider):
    display_name = "Google Vertex AI Virtual Try-On"
    default_base_url = ""  # https://{REGION}-aiplatform.googleapis.com, see base_url
    categories = frozenset({"upper_body", "lower_body", "full_body"})  # the model infers it
    supports_cancel = False  # synchronous: nothing runs at Google after the call
    requires_api_key = False  # Google credentials instead, see ``credentials``
    default_cost = 1  # per picture: set COST to your price (Vertex AI pricing, Imagen)
    default_timeout = 120.0  # the whole try-on happens inside one call
    max_garments = MAX_PRODUCT_IMAGES
    options_schema = {
        "PROJECT": "Google Cloud project id (required)",
        "REGION": "Vertex AI region, us-central1 by default",
        "MODEL": f"model id, {MODEL} by default",
        "CREDENTIALS_FILE": "path of a service account key file (JSON)",
        "CREDENTIALS_INFO": "a service account key as a dict (e.g. parsed from an env var)",
        "ACCESS_TOKEN": "a fixed OAuth access token (emulators, short tests)",
        "TOKEN_URI": "the OAuth token endpoint for a service account (an emulator's)",
        "BASE_URL": "API root, https://{REGION}-aiplatform.googleapis.com by default",
        "SAMPLE_COUNT": "pictures per call, 1-4 (the first that passes the filters is kept)",
        "SEED": "a fixed seed (needs ADD_WATERMARK False)",
        "BASE_STEPS": "sampling steps (more: better and slower)",
        "PERSON_GENERATION": "dont_allow, allow_adult (Google's default) or allow_all",
        "SAFETY_SETTING": "block_low_and_above ... block_none (Google's default: medium)",
        "ADD_WATERMARK": "SynthID watermark (Google's default: True)",
        "OUTPUT_MIME_TYPE": "image/png (default) or image/jpeg",
        "COMPRESSION_QUALITY": "JPEG quality 0-100 (Google's default 75)",
        "MAX_GARMENTS": "product images per call, 1 (default) to 3, where the model allows",
        "TIMEOUT": "seconds one call may take (120); Q_CLUSTER timeout must exceed it by 30",
    }

    def __init__(self, alias: str, **options: Any) -> None:
        super().__init__(alias, **options)
        self._credentials: Any = None
        self._lock = threading.Lock()
        self._held: OrderedDict[str, bytes] = OrderedDict()

    # Configuration -------------------------------------------------------------------

    @property
    def region(self) -> str:
        return str(self.option("REGION", "us-central1"))

    @property
    def base_url(self) -> str:
        default = f"https://{self.region}-aiplatform.googleapis.com"
        return str(self.option("BASE_URL") or default).rstrip("/")

    @property
    def predict_path(self) -> str:
        project, model = self.option("PROJECT", ""), self.option("MODEL", MODEL)
        return (
            f"/v1/projects/{project}/locations/{self.region}"
            f"/publishers/google/models/{model}:predict"
        )

    @property
    def garment_limit(self) -> int:
        return max(1, min(self.max_garments, int(self.option("MAX_GARMENTS", 1))))

    @classmethod
    def option_errors(cls, options: dict[str, Any]) -> list[str]:
        problems = []
        if not options.get("PROJECT"):
            problems.append("PROJECT (the Google Cloud project id) is required.")
        if not options.get("ACCESS_TOKEN"):
            try:
                import google.auth  # noqa: F401
            except ImportError:
                problems.append("google-auth is missing: pip install 'django-tryon[vertex]'.")
        choices = {
            "PERSON_GENERATION": PERSON_GENERATION,
            "SAFETY_SETTING": SAFETY_SETTINGS,
            "OUTPUT_MIME_TYPE": OUTPUT_MIME_TYPES,
        }
        for name, allowed in choices.items():
            value = options.get(name)
            if value is not None and str(value).lower() not in allowed:
                problems.append(f"{name} is {value!r}; choose one of {', '.join(allowed)}.")
        numbers = {
            "SAMPLE_COUNT": (1, MAX_SAMPLES),
            "SEED": (0, MAX_SEED),
            "BASE_STEPS": (1, 1000),
            "COMPRESSION_QUALITY": (0, 100),
            "MAX_GARMENTS": (1, MAX_PRODUCT_IMAGES),
        }
        for name, (low, high) in numbers.items():
            if options.get(name) is not None:
                try:
                    _whole(name, options[name], low, high)
                except PermanentError as error:
                    problems.append(error.message)
        if options.get("SEED") is not None and options.get("ADD_WATERMARK", True):
            problems.append(
                "SEED needs ADD_WATERMARK False: Google ignores seeds on watermarked pictures."
            )
        if options.get("CREDENTIALS_FILE") and options.get("CREDENTIALS_INFO"):
            problems.append("Set CREDENTIALS_FILE or CREDENTIALS_INFO, not both.")
        return problems

    # Credentials ---------------------------------------------------------------------

    def credentials(self) -> Any:
        """google-auth credentials for the alias, built once per process."""
        if self._credentials is not None:
            return self._credentials
        try:
            import google.auth
            from google.auth import exceptions as auth_errors
            from google.oauth2 import service_account
        except ImportError:
            raise AccountError(
                "auth_failed", "google-auth is not installed (pip install 'django-tryon[vertex]')."
            ) from None
        info = self.option("CREDENTIALS_INFO")
        path = self.option("CREDENTIALS_FILE")
        try:
            if path and not info:
                info = json.loads(Path(path).read_text())
            if info:
                credentials = service_account.Credentials.from_service_account_info(
                    dict(info), scopes=SCOPES
                )
            else:
                credentials, _project = google.auth.default(scopes=SCOPES)
            token_uri = self.option("TOKEN_URI")
            if token_uri and hasattr(credentials, "with_token_uri"):
                credentials = credentials.with_token_uri(token_uri)
        except (OSError, ValueError, auth_errors.DefaultCredentialsError) as exc:
            # The text names files or variables, never a key's contents.
            raise AccountError(
                "auth_failed",
                f"Google credentials could not be loaded ({type(exc).__name__}).",
                provider_code="credentials",
            ) from None
        self._credentials = credentials
        return credentials

    def access_token(self, *, refresh: bool = False) -> str:
        fixed = self.option("ACCESS_TOKEN")
        if fixed:
            return str(fixed)
        with self._lock:
            credentials = self.credentials()  # an AccountError if google-auth is missing
            from google.auth import exceptions as auth_errors
            from google.auth.transport.requests import Request

            if refresh or not credentials.valid:
                try:
                    credentials.refresh(Request(self.session))
                except auth_errors.RefreshError as exc:
                    retryable = bool(getattr(exc, "retryable", False))
                    kind = TransientError if retryable else AccountError
                    raise kind(
                        "provider_unavailable" if retryable else "auth_failed",
                        provider_code="token_refresh",
                        no_job_created=True,
                    ) from None
                except auth_errors.TransportError:
                    raise TransientError(
                        "connection_error", provider_code="token", no_job_created=True
                    ) from None
            return str(credentials.token)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token()}"}

    # Building the request ------------------------------------------------------------

    def settings_for(self, request: TryOnRequest) -> dict[str, Any]:
        """The alias's options with the job's ``seed``/``sample_count``/``base_steps`` on top."""
        job = request.options

        def either(key: str, alias_value: Any) -> Any:
            return alias_value if job.get(key) is None else job[key]

        return {
            "SEED": either("seed", self.option("SEED")),
            "SAMPLE_COUNT": either("sample_count", self.option("SAMPLE_COUNT")),
            "BASE_STEPS": either("base_steps", self.option("BASE_STEPS")),
        }

    def parameters(self, request: TryOnRequest) -> dict[str, Any]:
        values = self.settings_for(request)
        samples = 1 if values["SAMPLE_COUNT"] is None else values["SAMPLE_COUNT"]
        parameters: dict[str, Any] = {
            "sampleCount": _whole("sample_count", samples, 1, MAX_SAMPLES)
        }
        watermark = self.option("ADD_WATERMARK")
        if values["SEED"] is not None:
            if watermark is None or watermark:
                raise PermanentError(
                    "invalid_input",
                    "A seed needs the alias's ADD_WATERMARK set to False.",
                    provider_code="param:seed",
                )
            parameters["seed"] = _whole("seed", values["SEED"], 0, MAX_SEED)
        if values["BASE_STEPS"] is not None:
            parameters["baseSteps"] = _whole("base_steps", values["BASE_STEPS"], 1, 1000)
        enums = {
            "personGeneration": self.option("PERSON_GENERATION"),
            "safetySetting": self.option("SAFETY_SETTING"),
        }
        parameters |= {key: str(value).lower() for key, value in enums.items() if value is not None}
        if watermark is not None:
            parameters["addWatermark"] = bool(watermark)
        output: dict[str, Any] = {}
        if self.option("OUTPUT_MIME_TYPE"):
            output["mimeType"] = str(self.option("OUTPUT_MIME_TYPE")).lower()
        if self.option("COMPRESSION_QUALITY") is not None:
            output["compressionQuality"] = int(self.option("COMPRESSION_QUALITY"))
        if output:
            parameters["outputOptions"] = output
        return parameters

    @staticmethod
    def image_field(image: ImageInput) -> dict[str, Any]:
        content, mime_type = _send_format(image)
        return {
            "bytesBase64Encoded": base64.b64encode(content).decode("ascii"),
            "mimeType": mime_type,
        }

    def body(self, request: TryOnRequest) -> dict[str, Any]:
        instance = {
            "personImage": {"image": self.image_field(request.person)},
            "productImages": [{"image": self.image_field(g.image)} for g in request.garments],
        }
        return {"instances": [instance], "parameters": self.parameters(request)}

    def validate(self, request: TryOnRequest) -> None:
        super().validate(request)
        self.parameters(request)  # refuses bad seeds, counts and steps before anything is sent

    def estimate_credits(self, request: TryOnRequest | None = None) -> int:
        samples = self.settings_for(request)["SAMPLE_COUNT"] if request else None
        try:
            count = _whole("sample_count", 1 if samples is None else samples, 1, MAX_SAMPLES)
        except PermanentError:
            count = 1  # refused by validate() before anything is spent
        return int(self.option("COST", self.default_cost)) * count

    # Calling -------------------------------------------------------------------------

    def predict(self, request: TryOnRequest) -> tuple[bytes, dict[str, Any]]:
        """One ``predict`` call: the first picture that passed the filters, and what to keep."""
        self.validate(request)
        body = self.body(request)
        response = self.call("POST", self.predict_path, json=body, stream=True)
        if response.status_code == 401 and not self.option("ACCESS_TOKEN"):
            # A token Google no longer takes (revoked, clock skew): one more try, fresh.
            response.close()
            headers = {"Authorization": f"Bearer {self.access_token(refresh=True)}"}
            response = self.call(
                "POST", self.predict_path, json=body, stream=True, auth=False, headers=headers
            )
        samples = int(body["parameters"]["sampleCount"])
        answer = self.answer(
            response, limit=samples * (tryon_settings.MAX_RESULT_BYTES * 4 // 3 + 4096)
        )
        return self.first_image(answer, body["parameters"])

    def answer(self, response: requests.Response, *, limit: int) -> dict[str, Any]:
        """The JSON of a 200 answer, read up to ``limit`` bytes, or the error it means."""
        with response:
            if response.is_redirect:
                raise _nothing_created(
                    PermanentError(
                        "url_not_allowed", provider_code=f"redirect_{response.status_code}"
                    )
                )
            if response.status_code >= 400:
                # An error page is read up to 1 MB, into the attribute ``response.json()``
                # reads; past that (a proxy's endless page) its status alone decides.
                try:
                    response._content = self._read(response, 1024 * 1024)
                except PermanentError:
                    response._content = b""
                raise _nothing_created(self.error_for(response))
            raw = self._read(response, limit)
        try:
            data = json.loads(raw)
        except ValueError:
            raise TransientError(
                "bad_response", provider_code="not_json", no_job_created=True
            ) from None
        if not isinstance(data, dict):
            raise TransientError("bad_response", provider_code="not_object", no_job_created=True)
        return data

    @staticmethod
    def _read(response: requests.Response, limit: int) -> bytes:
        return b"".join(capped_chunks(response, limit, interrupted="connection_error"))

    def error_for(self, response: requests.Response) -> ProviderError:
        """Google's ``{"error": {"code", "message", "status"}}`` onto our kinds and words."""
        error = _error_body(response)
        status = str(error.get("status") or "")
        message = str(error.get("message") or "")
        provider_code = status or f"http_{response.status_code}"
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        lowered = message.lower()
        if status == "PERMISSION_DENIED" and "billing" in lowered:
            return AccountError("insufficient_credits", provider_code=provider_code)
        if status in STATUSES:
            kind, code = STATUSES[status]
            return kind(code, provider_code=provider_code, retry_after=retry_after)
        if response.status_code == 404 or status == "NOT_FOUND":
            # Wrong project, region or model: every job would meet it, so the alias pauses.
            return AccountError(
                "auth_failed",
                "The try-on service does not know this project, region or model. "
                "An administrator has been told.",
                provider_code=provider_code,
            )
        if response.status_code == 400 or status in ("INVALID_ARGUMENT", "FAILED_PRECONDITION"):
            if "responsible ai" in lowered or "safety" in lowered or "blocked" in lowered:
                return PermanentError("harmful_content", provider_code=provider_code)
            if "person" in lowered and any(w in lowered for w in ("no ", "not ", "detect", "find")):
                return PermanentError("no_person", provider_code=provider_code)
            return PermanentError("invalid_input", provider_code=provider_code)
        return super().error_for(response)

    def first_image(
        self, answer: dict[str, Any], parameters: dict[str, Any]
    ) -> tuple[bytes, dict[str, Any]]:
        predictions = answer.get("predictions")
        if predictions is None:
            raise TransientError(
                "bad_response", provider_code="no_predictions_field", no_job_created=True
            )
        if not isinstance(predictions, list):
            raise TransientError(
                "bad_response", provider_code="predictions_not_list", no_job_created=True
            )
        reasons = []
        for prediction in predictions:
            if not isinstance(prediction, dict):
                continue
            if prediction.get("raiFilteredReason"):
                reasons.append(str(prediction["raiFilteredReason"])[:300])
                continue
            encoded = prediction.get("bytesBase64Encoded")
            if not isinstance(encoded, str) or not encoded:
                continue
            content = self.decode(encoded)
            kept = {
                "samples": len(predictions),
                "filtered": len(reasons),
                "mime_type": str(prediction.get("mimeType") or ""),
            }
            if "seed" in parameters:
                kept["seed"] = parameters["seed"]
            if reasons:
                kept["rai_filtered_reasons"] = reasons
            return content, kept
        if reasons or not predictions:
            # Every sample was withheld by the safety filters (an empty list is how Google
            # answers when it also withholds the reasons): the inputs are the cause.
            raise _nothing_created(
                PermanentError(
                    "harmful_content",
                    provider_code="rai_filtered" if reasons else "no_predictions",
                )
            )
        raise TransientError("bad_response", provider_code="no_image_bytes", no_job_created=True)

    @staticmethod
    def decode(encoded: str) -> bytes:
        try:
            content = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise TransientError("bad_response", provider_code="bad_base64") from None
        if len(content) > tryon_settings.MAX_RESULT_BYTES:
            raise PermanentError("result_too_large", provider_code="payload")
        if sniff_image_format(content[:32]) is None:
            raise PermanentError("result_not_image", provider_code="payload")
        try:
            with Image.open(io.BytesIO(content)) as picture:
                picture.verify()
        except Exception:  # Pillow raises many kinds for a broken file
            raise PermanentError("result_not_image", provider_code="payload_broken") from None
        return content

    def submit(self, request: TryOnRequest) -> ProviderJob:
        content, kept = self.predict(request)
        job_id = f"vtx-{secrets.token_hex(8)}"
        self._hold(job_id, content)
        credits = int(self.option("COST", self.default_cost)) * (kept["samples"] - kept["filtered"])
        kept["credits"] = credits
        return ProviderJob(
            id=job_id,
            state=JobState.SUCCEEDED,
            result_url=f"vertex:{job_id}",  # the bytes are held here, see open_result
            credits=credits,
            data=kept,
        )

    def _hold(self, job_id: str, content: bytes) -> None:
        with self._lock:
            self._held[job_id] = content
            while len(self._held) > HELD_RESULTS:
                self._held.popitem(last=False)

    def poll(self, job: ProviderJob) -> ProviderJob:
        # Only reached if a worker died between the call and recording it: the answer is
        # recorded together with the id, so a known job is always finished.
        return ProviderJob(
            id=job.id, state=JobState.SUCCEEDED, result_url=f"vertex:{job.id}", data=job.data
        )

    # Results -------------------------------------------------------------------------

    @contextmanager
    def open_result(self, job: ProviderJob, request: TryOnRequest) -> Iterator[IO[bytes]]:
        with self._lock:
            content = self._held.pop(job.id, None)
        if content is None:
            logger.warning(
                "Vertex job %s: its picture was lost before it was stored (worker restart or "
                "storage error); asking Google again, which is charged again.",
                job.id,
            )
            if job.data.get("seed") is not None:
                request = replace(request, options={**request.options, "seed": job.data["seed"]})
            content, _kept = self.predict(request)
        try:
            yield io.BytesIO(content)
        except BaseException:
            self._hold(job.id, content)  # the storage failed: keep it for the retry here
            raise

    def check(self) -> CheckResult:
        """Obtain an access token and read the model's metadata: no picture, no charge."""
        where = f"{self.base_url} (project {self.option('PROJECT')}, {self.region})"
        try:
            self.access_token(refresh=not self.option("ACCESS_TOKEN"))
            model = self.option("MODEL", MODEL)
            response = self.call(
                "GET", f"/v1/publishers/google/models/{model}", timeout=min(self.timeout, 30.0)
            )
            if response.status_code >= 400:
                raise self.error_for(response)
        except AccountError as error:
            return CheckResult(False, f"Vertex AI refused the credentials: {error.message}")
        except ProviderError as error:
            return CheckResult(False, f"Vertex AI is unreachable at {where}: {error.message}")
        return CheckResult(
            True,
            f"Vertex AI at {where} accepted the credentials and knows the model {model}. "
            "Google shows no credit balance: quotas and billing are in the Cloud console.",
        )
