"""The provider contract: what every provider must survive, and how each one is set up for it.

One list of faults (``COMMON`` and ``BAD_ANSWERS``) runs against every entry of
``CONTRACT_PROVIDERS`` (``test_provider_faults.py``); the entries say only what differs
per provider: its emulator fixture and alias options, whether a create cut off mid-way
may have made a job (asynchronous providers), the fault that makes a job finish with no
output, and how to count what the provider made for a job.

A new provider adds one ``ContractProvider`` to ``CONTRACT_PROVIDERS`` (and its emulator
fixture to ``tests/reliability/conftest.py``); nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from tests.providers.support import cc_alias, fa_alias, mh_alias, vertex_alias

MB = 1024 * 1024


@dataclass(frozen=True)
class Case:
    fault: str  # the name for it
    inject: str  # the emulator's fault
    route: str
    params: dict[str, Any] = field(default_factory=dict)
    # What must happen: "retried" (then succeeds), "failed" with ``code``, or "paused".
    outcome: str = "retried"
    code: str = ""
    # Transient errors met before success; create calls that may have made a job.
    retries: int = 1
    uncertain: int = 0
    times: int = 1  # how many answers in a row get the fault
    projects: int = 1  # jobs the provider holds for ours at the end
    # Whether each retry sends the job again (a fault at create), or polls again.
    resubmits: bool | None = None

    @property
    def creates(self) -> int:
        """Create calls the job costs: the first, one per retried create, one after a resume."""
        resubmits = self.route == "create" if self.resubmits is None else self.resubmits
        return 1 + (self.retries if resubmits else 0) + (1 if self.outcome == "paused" else 0)


# The list, at the route where each fault means most.
COMMON = [
    Case("429 with Retry-After", "http_error", "create", {"status": 429, "retry_after": 7}),
    Case("429 without Retry-After", "http_error", "create", {"status": 429}),
    Case("500", "http_error", "create", {"status": 500}),
    Case("502", "http_error", "create", {"status": 502}),
    Case("503", "http_error", "create", {"status": 503}),
    Case("read timeout", "timeout", "create", {"seconds": 3}, uncertain=1),
    Case("connection reset", "reset", "create", uncertain=1),
    Case("malformed JSON", "malformed_json", "create"),
    Case("HTML error page", "html", "create", {"status": 502}),
    Case("oversized download", "oversized", "download", {"size": 3 * MB}, "failed",
         "result_too_large", retries=0),
    Case("oversized download, no Content-Length", "oversized", "download",
         {"size": 3 * MB, "declare_length": False}, "failed", "result_too_large", retries=0),
    Case("non-image download", "not_image", "download", {}, "failed", "result_not_image",
         retries=0),
    Case("redirect to a private address", "redirect", "download", {}, "failed",
         "url_not_allowed", retries=0),
    Case("401", "http_error", "create", {"status": 401}, "paused", "auth_failed", retries=0),
    Case("402", "http_error", "create", {"status": 402}, "paused", "insufficient_credits",
         retries=0),
]  # fmt: skip

# Persistent: the fault answers every create. Retries stop at MAX_TRANSIENT_ERRORS (5 tries,
# 4 backoffs) and the job fails with the fault's own words, having made nothing.
PERSISTENT_CODES = {
    "429 without Retry-After": "rate_limited",
    "500": "provider_unavailable",
    "503": "provider_unavailable",
    "connection reset": "connection_error",
    "malformed JSON": "bad_response",
    "HTML error page": "provider_unavailable",
}


def persistent(case: Case, uncertain_per_try: bool) -> Case:
    return Case(
        f"{case.fault} (persistent)", case.inject, case.route, case.params, "failed",
        PERSISTENT_CODES[case.fault], retries=4, uncertain=5 if uncertain_per_try else 0,
        times=10, projects=0,
    )  # fmt: skip


def with_uncertain(cases: list[Case], faults: tuple[str, ...]) -> list[Case]:
    """``cases`` where a create answered with one of ``faults`` may have made a job."""
    return [replace(c, uncertain=1) if c.fault in faults else c for c in cases]


def len_of(attribute: str) -> Callable[[Any], int]:
    return lambda emulator: len(getattr(emulator, attribute))


@dataclass(frozen=True)
class ContractProvider:
    """One provider as the contract runs it."""

    alias: str
    emulator_fixture: str
    alias_options: Callable[..., dict[str, Any]]
    cases: list[Case]
    # How many jobs the emulator holds in all (None: it keeps none between calls).
    provider_jobs: Callable[[Any], int] | None
    # Whether the emulator's jobs and create calls can be told apart per TryOnJob (by name).
    names_jobs: bool = False

    def param_id(self, case: Case) -> str:
        return f"{self.alias}-{case.fault}"


# -- Magic Hour: asynchronous; a 500 or an unreadable 200 on create may have made a project. --

_MH_BAD_ANSWERS = [
    # Download URLs expire after 24 h: the project hands out a fresh one, no retry needed.
    Case("expired download URL", "expired", "download", retries=0),
    # A create answer without the id: the project may exist (uncertain), another is made.
    Case("200 with fields missing (create)", "missing_fields", "create", {"fields": ("id",)},
         uncertain=1, projects=2),
    Case("200 with fields missing (poll)", "missing_fields", "poll", {"fields": ("status",)}),
    # Complete with nothing to fetch: bounded retries, then "an answer we could not read".
    Case("empty output list", "empty_downloads", "create", {}, "failed", "bad_response",
         retries=4, resubmits=False),
]  # fmt: skip


def _mh_cases() -> list[Case]:
    common = with_uncertain(COMMON, ("500", "malformed JSON"))
    polls = [
        Case(f"{c.fault} (poll)", c.inject, "poll", c.params)
        for c in common
        if c.outcome == "retried"
    ]
    stuck = [
        persistent(c, c.fault in ("500", "connection reset", "malformed JSON"))
        for c in common
        if c.fault in PERSISTENT_CODES
    ]
    return [*common, *_MH_BAD_ANSWERS, *polls, *stuck]


MAGIC_HOUR = ContractProvider(
    "magichour", "magichour_emulator", mh_alias, _mh_cases(), len_of("projects"), names_jobs=True
)


# -- Change Clothes AI: synchronous; only a call cut off mid-way may have made a picture. -----

_CC_CASES = [
    *COMMON,
    # The result URL is all we have: an expired one is retried (the CDN may serve it again).
    Case("expired download URL", "expired", "download"),
    Case(
        "200 with fields missing",
        "missing_fields",
        "create",
        {"fields": ("data.resultImgUrl",)},
    ),
    Case(
        "empty output list",
        "missing_fields",
        "create",
        {"fields": ("data",)},
        "failed",
        "bad_response",
        retries=4,
        times=10,
        projects=0,
    ),
    *[persistent(c, c.fault == "connection reset") for c in COMMON if c.fault in PERSISTENT_CODES],
]

CHANGE_CLOTHES = ContractProvider(
    "changeclothes",
    "changeclothes_emulator",
    cc_alias,
    _CC_CASES,
    None,  # synchronous: nothing is kept at the provider between calls
)


# -- FASHN: asynchronous; every error it answers in its own words made no prediction. ---------

_FASHN_COMMON = [
    # FASHN has no 402: an empty account is a 429 named OutOfCredits.
    replace(c, params={"status": 429, "error": "OutOfCredits"}) if c.fault == "402" else c
    for c in with_uncertain(COMMON, ("malformed JSON",))
]

_FASHN_CASES = [
    *_FASHN_COMMON,
    Case(
        "429 ConcurrencyLimitExceeded",
        "http_error",
        "create",
        {"status": 429, "error": "ConcurrencyLimitExceeded"},
    ),
    # The CDN URL is kept 72 h: an expired one is retried like any failed download.
    Case("expired download URL", "expired", "download"),
    Case(
        "200 with fields missing (create)",
        "missing_fields",
        "create",
        {"fields": ("id",)},
        uncertain=1,
        projects=2,
    ),
    Case("200 with fields missing (poll)", "missing_fields", "poll", {"fields": ("status",)}),
    Case(
        "empty output list",
        "empty_output",
        "create",
        {},
        "failed",
        "bad_response",
        retries=4,
        resubmits=False,
    ),
    # A prediction that failed "please retry" (the SDK's PipelineError, InternalServerError...)
    # is sent again as a new prediction, at most MAX_RESUBMISSIONS (2) times; failures are free.
    Case(
        "prediction failed, please retry",
        "prediction_error",
        "create",
        {"name": "PipelineError"},
        retries=1,
        projects=2,
        resubmits=True,
    ),
    Case(
        "prediction failed, please retry (persistent)",
        "prediction_error",
        "create",
        {"name": "InternalServerError"},
        "failed",
        "provider_failed_repeatedly",
        retries=2,
        times=10,
        projects=3,
        resubmits=True,
    ),
    # Any other runtime error is the inputs': the job fails, nothing is sent again.
    Case(
        "prediction failed, inputs at fault",
        "prediction_error",
        "create",
        {"name": "ThirdPartyError"},
        "failed",
        "provider_error",
        retries=0,
    ),
    *[
        Case(f"{c.fault} (poll)", c.inject, "poll", c.params)
        for c in _FASHN_COMMON
        if c.outcome == "retried"
    ],
    *[
        persistent(c, c.fault in ("connection reset", "malformed JSON"))
        for c in _FASHN_COMMON
        if c.fault in PERSISTENT_CODES
    ],
]

FASHN = ContractProvider("fashn", "fashn_emulator", fa_alias, _FASHN_CASES, len_of("predictions"))


# -- Vertex AI: synchronous, the picture inline (base64) in the answer. ----------------------
# No CDN: the download faults are payload faults of the answer itself. An answer that came
# whole but was refused here (too large, not an image) was made, and charged, at Google:
# it counts as an uncertain create, like a timeout. An error answer made nothing.

_VERTEX_PAYLOAD = {
    # An answer past the read cap (MAX_RESULT_BYTES in base64, per sample): refused unread.
    "oversized download": Case("oversized answer", "payload_oversized", "create",
                               {"size": 3 * MB}, "failed", "result_too_large", retries=0,
                               uncertain=1),
    # An answer under the cap whose picture, decoded, is over MAX_RESULT_BYTES.
    "oversized download, no Content-Length": Case(
        "oversized picture", "payload_oversized", "create", {"size": MB + 1024}, "failed",
        "result_too_large", retries=0, uncertain=1),
    "non-image download": Case("non-image payload", "payload_not_image", "create", {},
                               "failed", "result_not_image", retries=0, uncertain=1),
    # The predict call itself redirected (requests follow no redirects here).
    "redirect to a private address": Case("redirect to a private address", "redirect",
                                          "create", {}, "failed", "url_not_allowed", retries=0),
}  # fmt: skip

BILLING_DISABLED = {"status": 403, "message": "This API method requires billing to be enabled."}

_VERTEX_COMMON = [
    _VERTEX_PAYLOAD.get(c.fault) or (replace(c, params=BILLING_DISABLED) if c.fault == "402" else c)
    for c in COMMON
]

_VERTEX_CASES = [
    *_VERTEX_COMMON,
    Case("HTML page with 200", "html", "create", {"status": 200}),
    Case("200 with fields missing", "missing_fields", "create", {"fields": ("predictions",)}),
    Case("200 with fields missing (image bytes)", "missing_fields", "create",
         {"fields": ("predictions.0.bytesBase64Encoded",)}),
    # Google answers an empty list when its filters withheld every picture and the reasons.
    Case("empty output list", "no_predictions", "create", {}, "failed", "harmful_content",
         retries=0),
    Case("safety refusal", "rai_filtered", "create", {}, "failed", "harmful_content",
         retries=0),
    Case("input refused: no person", "refused_input", "create", {}, "failed", "no_person",
         retries=0),
    *[persistent(c, c.fault == "connection reset") for c in COMMON if c.fault in PERSISTENT_CODES],
]  # fmt: skip

VERTEX = ContractProvider(
    "vertex",
    "vertex_emulator",
    vertex_alias,
    _VERTEX_CASES,
    None,  # synchronous: nothing is kept at Google between calls
)

# The providers the contract runs against.
CONTRACT_PROVIDERS: list[ContractProvider] = [MAGIC_HOUR, CHANGE_CLOTHES, FASHN, VERTEX]
