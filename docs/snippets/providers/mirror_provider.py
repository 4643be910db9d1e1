"""A provider in a few lines: it "tries on" by handing the person's photo back.

A real one maps a service's API onto the same methods; see the checklist.
"""

import io
import secrets
from contextlib import contextmanager

from django_tryon.providers.base import (
    BaseProvider,
    CheckResult,
    JobState,
    PermanentError,
    ProviderJob,
)


class MirrorProvider(BaseProvider):
    display_name = "Mirror (example)"
    categories = frozenset({"upper_body", "lower_body", "full_body"})
    requires_api_key = False  # True: tryon.E003 when an alias has no API_KEY
    default_cost = 0
    default_timeout = 5.0
    options_schema = {"FAIL": "fail every job with no_person (for tests)"}

    def first_poll_after(self):
        return 0  # done at once: the submitting worker polls and fetches right away

    def validate(self, request):
        super().validate(request)  # categories, garment image or prompt
        if request.person.format not in ("JPEG", "PNG"):
            raise PermanentError("invalid_input", "Mirror needs a JPEG or PNG photo.")

    def submit(self, request):
        # Called at most once per job. A real provider sends the request here and
        # returns the provider's job id and the credits it charged.
        return ProviderJob(id=f"mirror-{secrets.token_hex(8)}", state=JobState.RUNNING, credits=0)

    def poll(self, job):
        if self.option("FAIL"):
            error = PermanentError("no_person", provider_code="mirror_fail")
            return ProviderJob(id=job.id, state=JobState.FAILED, error=error, credits=0)
        return ProviderJob(id=job.id, state=JobState.SUCCEEDED, result_url="mirror:" + job.id)

    @contextmanager
    def open_result(self, job, request):
        # HTTP providers stream from job.result_url with self.download(url) instead.
        yield io.BytesIO(request.person.content)

    def check(self):
        return CheckResult(True, "The mirror needs no credentials.")
