"""Change Clothes AI (https://changeclothesai.online/docs/api-doc).

Two synchronous multipart endpoints: ``/api/openapi/change-clothes-ai`` (a garment image)
and ``/api/openapi/change-clothes-by-prompt`` (a garment described in words). One call
creates the picture and answers with its URL, so ``submit`` returns a finished job and the
pipeline fetches the result at once. Success is ``code == 200`` in the JSON body, whatever
the HTTP status; every documented error code maps onto our error kinds.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import requests

from .base import (
    AccountError,
    CheckResult,
    ErrorCode,
    ImageInput,
    JobState,
    PermanentError,
    ProviderError,
    ProviderJob,
    TransientError,
    TryOnRequest,
)
from .http import HttpProvider, parse_retry_after

GARMENT_PATH = "/api/openapi/change-clothes-ai"
PROMPT_PATH = "/api/openapi/change-clothes-by-prompt"
# Our category -> ``category``: the API's whole-body category is ``dresses``.
CATEGORIES = {"upper_body": "upper_body", "lower_body": "lower_body", "full_body": "dresses"}
INPUT_MODES = ("file", "base64", "url")
MAX_SEED = 2_147_483_647

# Documented error codes -> (kind, our code). 500 and 20001 are retried a bounded number of
# times; 10004 gets a message naming the parameter (see ``invalid_param``).
ERROR_CODES: dict[int, tuple[type[ProviderError], str]] = {
    10001: (AccountError, ErrorCode.AUTH_FAILED),  # NOT_LOGIN
    10002: (AccountError, ErrorCode.AUTH_FAILED),  # USER_NOT_EXIST
    30001: (AccountError, ErrorCode.AUTH_FAILED),  # INVALID_API_KEY
    30002: (AccountError, ErrorCode.AUTH_FAILED),  # INVALID_SIGNATURE
    10003: (AccountError, ErrorCode.INSUFFICIENT_CREDITS),  # INSUFFICIENT_CREDITS
    10006: (
        AccountError,
        ErrorCode.INSUFFICIENT_CREDITS,
    ),  # INSUFFICIENT_TRAIL_COUNT (trial used up)
    10004: (PermanentError, ErrorCode.INVALID_INPUT),  # INVALID_PARAM
    10005: (PermanentError, ErrorCode.HARMFUL_CONTENT),  # HARMFUL_CONTENT
    500: (TransientError, ErrorCode.PROVIDER_UNAVAILABLE),  # SERVER_ERROR
    20001: (TransientError, ErrorCode.PROVIDER_UNAVAILABLE),  # TRY_ON_EXCEPTION
}

# Parameters in words, for the "invalid parameter" message a merchant or shopper reads.
PARAMETERS = {
    "modelImg": "the photo of the person",
    "garmentImg": "the picture of the garment",
    "category": "the garment category",
    "garmentDesc": "the garment description",
    "prompt": "the garment description (prompt)",
    "seed": "the seed",
    "randomize_seed": "the randomize_seed option",
    "guidance_scale": "the guidance scale",
    "num_inference_steps": "the number of inference steps",
}
_PARAMETER = re.compile(r"\b(" + "|".join(PARAMETERS) + r")\b")


def invalid_param(msg: str) -> PermanentError:
    """10004, naming the parameter when the body's ``msg`` does (``INVALID_PARAM: seed: ...``)."""
    match = _PARAMETER.search(msg)
    if match is None:
        return PermanentError(ErrorCode.INVALID_INPUT, provider_code="10004")
    name = match.group(1)
    return PermanentError(
        ErrorCode.INVALID_INPUT,
        f"The try-on service refused {PARAMETERS[name]} ({name}).",
        provider_code=f"10004:{name}",
    )


def _nothing_created(error: ProviderError) -> ProviderError:
    # Synchronous: a call that failed leaves no job at the provider to follow or pay for.
    error.no_job_created = True
    return error


def _number(name: str, value: Any, low: float, high: float, *, integer: bool) -> str:
    """A prompt option as the string the form sends, or a PermanentError naming it."""
    try:
        number = float(value)
        if integer and (isinstance(value, float) or not float(number).is_integer()):
            raise ValueError
        if isinstance(value, bool) or not low <= number <= high:
            raise ValueError
    except (TypeError, ValueError):
        kind = "a whole number" if integer else "a number"
        raise PermanentError(
            ErrorCode.INVALID_INPUT,
            f"{name} must be {kind} from {low:g} to {high:g}.",
            provider_code=f"param:{name}",
        ) from None
    return str(int(number)) if integer or number.is_integer() else str(number)


class ChangeClothesProvider(HttpProvider):
    display_name = "Change Clothes AI"
    default_base_url = "https://changeclothesai.online"
    categories = frozenset(CATEGORIES)
    supports_prompt = True
    supports_cancel = False  # synchronous: nothing runs at the provider after the call
    default_cost = 1  # not documented: set the COST option to your plan's price per picture
    default_timeout = 180.0  # the whole try-on happens inside one call
    options_schema = {
        "API_KEY": "the API key (dashboard, API keys)",
        "BASE_URL": "API root, https://changeclothesai.online by default",
        "INPUT_MODE": "how images are sent: file (default), base64, or url",
        "STORE_MASK": "also store the inpaint mask the service returns (False)",
        "PROMPT_OPTIONS": "defaults for seed, randomize_seed, guidance_scale, num_inference_steps",
        "TIMEOUT": "seconds one call may take (180); Q_CLUSTER timeout must exceed it by 30",
    }

    @classmethod
    def option_errors(cls, options: dict[str, Any]) -> list[str]:
        mode = options.get("INPUT_MODE", "file")
        if mode not in INPUT_MODES:
            return [f"INPUT_MODE is {mode!r}; choose one of {', '.join(INPUT_MODES)}."]
        return []

    # Checking and building the request -----------------------------------------------

    def validate(self, request: TryOnRequest) -> None:
        super().validate(request)
        if request.garment is None:
            if not request.prompt.strip():
                raise PermanentError(
                    ErrorCode.INVALID_INPUT,
                    "Describe the garment in the prompt.",
                    provider_code="param:prompt",
                )
            self.prompt_params(request)

    def prompt_params(self, request: TryOnRequest) -> dict[str, str]:
        """Optional prompt-mode fields: the alias's PROMPT_OPTIONS, then the request's options."""
        values = {**(self.option("PROMPT_OPTIONS") or {}), **request.options}
        fields: dict[str, str] = {}
        if values.get("seed") is not None:
            fields["seed"] = _number("seed", values["seed"], 0, MAX_SEED, integer=True)
        if values.get("randomize_seed") is not None:
            flag = values["randomize_seed"]
            if isinstance(flag, str) and flag.lower() in ("true", "false"):
                flag = flag.lower() == "true"
            if not isinstance(flag, bool):
                raise PermanentError(
                    ErrorCode.INVALID_INPUT,
                    "randomize_seed must be true or false.",
                    provider_code="param:randomize_seed",
                )
            fields["randomize_seed"] = "true" if flag else "false"
        if values.get("guidance_scale") is not None:
            fields["guidance_scale"] = _number(
                "guidance_scale", values["guidance_scale"], 1, 100, integer=False
            )
        if values.get("num_inference_steps") is not None:
            fields["num_inference_steps"] = _number(
                "num_inference_steps", values["num_inference_steps"], 1, 50, integer=True
            )
        return fields

    def image_part(
        self, name: str, image: ImageInput
    ) -> tuple[str | None, bytes | str, str | None]:
        """One image as a multipart part, in the alias's INPUT_MODE."""
        mode = self.option("INPUT_MODE", "file")
        if mode == "url" and image.url.startswith("https://"):
            return (None, image.url, None)
        if mode == "base64":
            encoded = base64.b64encode(image.content).decode("ascii")
            return (None, f"data:{image.content_type};base64,{encoded}", None)
        # "file", and "url" for an image the storage has no public https URL for.
        return (f"{name}.{image.extension}", image.content, image.content_type)

    def form(self, request: TryOnRequest) -> tuple[str, list[tuple[str, Any]]]:
        """The endpoint and its multipart fields (text fields as file-less parts)."""
        parts: list[tuple[str, Any]] = [("modelImg", self.image_part("model", request.person))]
        if request.garment is not None:
            parts.append(("garmentImg", self.image_part("garment", request.garment)))
            parts.append(("category", (None, CATEGORIES[request.category])))
            if request.description.strip():
                parts.append(("garmentDesc", (None, request.description.strip())))
            return GARMENT_PATH, parts
        parts.append(("prompt", (None, request.prompt.strip())))
        parts.extend((name, (None, value)) for name, value in self.prompt_params(request).items())
        return PROMPT_PATH, parts

    # Calling --------------------------------------------------------------------------

    def submit(self, request: TryOnRequest) -> ProviderJob:
        self.validate(request)
        path, parts = self.form(request)
        # ``files=`` makes requests send multipart/form-data even for text-only fields.
        response = self.call("POST", path, files=parts)
        data = self.answer(response)
        result_url = data.get("resultImgUrl")
        if not isinstance(result_url, str) or not result_url:
            raise TransientError(
                ErrorCode.BAD_RESPONSE, provider_code="no_result_url", no_job_created=True
            )
        credits = self.estimate_credits(request)
        # "credits" mirrors the charge, as the pipeline's refund arithmetic expects.
        kept: dict[str, Any] = {
            "mode": "prompt" if request.garment is None else "garment",
            "credits": credits,
        }
        if isinstance(data.get("maskImgUrl"), str):
            kept["mask_url"] = data["maskImgUrl"]
        if isinstance(data.get("seed"), int):
            kept["seed"] = data["seed"]
        if "cacheHit" in data:
            kept["cache_hit"] = bool(data["cacheHit"])
        return ProviderJob(
            id=f"cc-{secrets.token_hex(8)}",
            state=JobState.SUCCEEDED,
            result_url=result_url,
            credits=credits,
            data=kept,
        )

    def answer(self, response: requests.Response) -> dict[str, Any]:
        """The ``data`` of a ``code == 200`` body, or the error the body (or status) means."""
        try:
            body = response.json()
        except ValueError:
            body = None
        code = body.get("code") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(code, int) or isinstance(code, bool):
            # No readable body (an HTML error page, truncated JSON): the status decides.
            if response.status_code >= 400:
                raise _nothing_created(self.error_for(response))
            raise TransientError(
                ErrorCode.BAD_RESPONSE,
                provider_code=f"http_{response.status_code}",
                no_job_created=True,
            )
        if code == 200:
            data = body.get("data")
            return data if isinstance(data, dict) else {}
        raise _nothing_created(self.code_error(code, str(body.get("msg") or ""), response))

    def code_error(self, code: int, msg: str, response: requests.Response) -> ProviderError:
        if code == 10004:
            return invalid_param(msg)
        if code in ERROR_CODES:
            kind, ours = ERROR_CODES[code]
            return kind(
                ours,
                provider_code=str(code),
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        # An undocumented code: an HTTP status that names the kind of failure decides (a
        # gateway's 401/402 is about the account, and must pause the alias, not fail jobs).
        if response.status_code >= 500 or response.status_code in (401, 402, 403, 429):
            return self.error_for(response)
        return PermanentError(ErrorCode.PROVIDER_ERROR, provider_code=str(code))

    def poll(self, job: ProviderJob) -> ProviderJob:
        # Only reached if a worker died between the call and recording it: the answer is
        # recorded together with the id, so a known job is always finished.
        url = str(job.data.get("result_url") or job.result_url)
        if url:
            return ProviderJob(id=job.id, state=JobState.SUCCEEDED, result_url=url, data=job.data)
        error = PermanentError(ErrorCode.BAD_RESPONSE, provider_code="no_result_url")
        return ProviderJob(id=job.id, state=JobState.FAILED, data=job.data, error=error)

    # Results --------------------------------------------------------------------------

    @contextmanager
    def open_result(self, job: ProviderJob, request: TryOnRequest) -> Iterator[IO[bytes]]:
        with self.download(job.result_url or str(job.data.get("result_url") or "")) as stream:
            yield stream

    def extra_results(self, job: ProviderJob) -> list[str]:
        return ["mask"] if self.option("STORE_MASK") and job.data.get("mask_url") else []

    @contextmanager
    def open_extra(self, job: ProviderJob, name: str) -> Iterator[IO[bytes]]:
        if name != "mask":
            raise KeyError(name)
        with self.download(str(job.data["mask_url"])) as stream:
            yield stream

    # Credentials ----------------------------------------------------------------------

    def check(self) -> CheckResult:
        """Send the key with an incomplete request, which the service refuses before any work.

        It has no free authenticated endpoint. A refused key (10001/10002/30001/30002) or an
        empty balance (10003/10006) shows; "invalid parameter" (10004) means the key was not
        refused. A real try-on, and so the remaining credits, can't be checked without
        spending credits.
        """
        parts = [("category", (None, "upper_body"))]
        try:
            response = self.call("POST", GARMENT_PATH, files=parts, timeout=min(self.timeout, 30.0))
            self.answer(response)
        except AccountError as error:
            return CheckResult(False, f"Change Clothes AI refused the account: {error.message}")
        except PermanentError as error:
            if error.provider_code.startswith("10004"):
                return CheckResult(
                    True,
                    (
                        f"Change Clothes AI at {self.base_url} answered and did not refuse the "
                        "API key. It has no free endpoint: the credit balance and a real try-on "
                        "can only be checked by spending credits (run one try-on, e.g. with "
                        "tryon_generate)."
                    ),
                )
            return CheckResult(False, f"Change Clothes AI answered unexpectedly: {error.message}")
        except ProviderError as error:
            return CheckResult(
                False, f"Change Clothes AI is unreachable at {self.base_url}: {error.message}"
            )
        return CheckResult(False, "Change Clothes AI accepted an incomplete request, unexpectedly.")
