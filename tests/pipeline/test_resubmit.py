"""A provider's job that failed "please retry" (``ResubmitError``) is sent again, a bounded
number of times, each time as a new create counted in attempts, credits and the budget."""

import pytest

from django_tryon import budget
from django_tryon.errors import MESSAGES, ErrorCode
from django_tryon.models import Status
from django_tryon.providers.base import JobState, ProviderJob, ResubmitError
from django_tryon.providers.sandbox import SandboxProvider
from django_tryon.services import request_tryon

pytestmark = pytest.mark.django_db(transaction=True)


class FailsPleaseRetry(SandboxProvider):
    """Its first ``FAILURES`` jobs fail "please retry"; ``CHARGED`` failures cost credits."""

    def poll(self, job: ProviderJob) -> ProviderJob:
        state = super().poll(job)
        attempt = int(job.data.get("attempt", 1))
        if state.state == JobState.SUCCEEDED and attempt <= int(self.option("FAILURES", 0)):
            charged = self.estimate_credits() if self.option("CHARGED") else 0
            error = ResubmitError("provider_error", provider_code="PipelineError")
            return ProviderJob(id=job.id, state=JobState.FAILED, credits=charged, error=error)
        return state

    def submit(self, request):
        made = super().submit(request)
        made.data["attempt"] = request.attempt
        return made


@pytest.fixture
def flaky(settings):
    def configure(**options):
        settings.TRYON = {
            **settings.TRYON,
            "BACKOFF_BASE": 0.05,
            "BACKOFF_MAX": 0.1,
            "PROVIDERS": {
                "flaky": {"BACKEND": f"{__name__}.FailsPleaseRetry", "LATENCY": 0, **options},
                "sandbox": {"BACKEND": "django_tryon.providers.sandbox.SandboxProvider"},
            },
            "DEFAULT_PROVIDER": "flaky",
        }

    return configure


def test_a_please_retry_failure_is_resubmitted_and_succeeds(
    flaky, garment, model_photo, drive, fresh
):
    flaky(FAILURES=1)
    job = request_tryon(garment, model_photo)
    assert drive() == 0
    assert fresh(job).status == Status.SUCCEEDED and job.error_code == ""
    assert job.attempts == 2  # two creates at the provider
    [failed] = job.provider_data["resubmitted"]
    assert failed["code"] == "PipelineError" and failed["provider_job_id"] != job.provider_job_id
    assert job.credits_charged == 1 == job.estimated_credits  # the failure was free


def test_resubmissions_are_bounded_then_the_job_fails_in_plain_words(
    flaky, garment, model_photo, drive, fresh, settings
):
    flaky(FAILURES=10)
    settings.TRYON = {**settings.TRYON, "MAX_RESUBMISSIONS": 2}
    job = request_tryon(garment, model_photo)
    assert drive() == 0
    assert fresh(job).status == Status.FAILED
    assert job.error_code == ErrorCode.PROVIDER_FAILED_REPEATEDLY
    assert job.error_message == str(MESSAGES[ErrorCode.PROVIDER_FAILED_REPEATEDLY])
    assert job.provider_error_code == "PipelineError"
    assert job.attempts == 3 and len(job.provider_data["resubmitted"]) == 2
    assert job.credits_charged == 0 and budget.committed() == 0  # free failures give it back


def test_the_alias_option_overrides_the_setting(flaky, garment, model_photo, drive, fresh):
    flaky(FAILURES=1, MAX_RESUBMISSIONS=0)
    job = request_tryon(garment, model_photo)
    assert drive() == 0
    assert fresh(job).status == Status.FAILED and job.attempts == 1
    assert job.error_code == ErrorCode.PROVIDER_FAILED_REPEATEDLY


def test_charged_failures_reserve_each_new_create_from_the_budget(
    flaky, garment, model_photo, drive, fresh, settings
):
    flaky(FAILURES=1, CHARGED=True)
    settings.TRYON = {**settings.TRYON, "DAILY_CREDIT_BUDGET": 5}
    job = request_tryon(garment, model_photo)
    assert budget.committed() == 1
    assert drive() == 0
    assert fresh(job).status == Status.SUCCEEDED and job.attempts == 2
    # Both creates were charged; the second was reserved before it was sent.
    assert job.credits_charged == 2 == job.estimated_credits == budget.committed()


def test_a_resubmission_the_budget_cannot_hold_is_not_sent(
    flaky, garment, model_photo, drive, fresh, settings
):
    flaky(FAILURES=1, CHARGED=True)
    settings.TRYON = {**settings.TRYON, "DAILY_CREDIT_BUDGET": 1}
    job = request_tryon(garment, model_photo)
    assert drive() == 0
    assert fresh(job).status == Status.FAILED and job.error_code == ErrorCode.BUDGET_EXCEEDED
    assert job.attempts == 1  # no second create
    assert job.credits_charged == 1 == budget.committed()  # what the failure cost, no more


def test_after_the_limit_a_job_fails_over_to_the_fallback(
    flaky, garment, model_photo, drive, fresh
):
    flaky(FAILURES=10, MAX_RESUBMISSIONS=1, FALLBACK="sandbox")
    job = request_tryon(garment, model_photo)
    assert drive() == 0
    assert fresh(job).status == Status.SUCCEEDED and job.provider == "sandbox"
    [left] = job.provider_history
    assert (left["alias"], left["code"]) == ("flaky", ErrorCode.PROVIDER_FAILED_REPEATEDLY)
