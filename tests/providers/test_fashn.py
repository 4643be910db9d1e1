"""The FASHN provider against the FASHN emulator: requests, mapping, errors, credits."""

from __future__ import annotations

import base64

import pytest

from django_tryon.models import Status
from django_tryon.providers.base import (
    AccountError,
    AccountSummary,
    JobState,
    PermanentError,
    ProviderJob,
    ResubmitError,
    TransientError,
)
from django_tryon.providers.fashn import CATEGORIES, FashnProvider, decoded
from django_tryon.services import request_tryon
from tests.providers.support import (
    image,
    is_image,
    provider,
    routes,
    set_alias_options,
    tryon_request,
)


def sent(fa) -> dict:
    [run] = [r for r in fa.requests if r.route == "create"]
    return run.json()


# Requests --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "fashn_category"),
    [("upper_body", "tops"), ("lower_body", "bottoms"), ("full_body", "one-pieces")],
)
def test_categories_map_to_fashn_categories(fa, category, fashn_category):
    provider().submit(tryon_request(category))
    body = sent(fa)
    assert body["model_name"] == "tryon-v1.6"
    assert body["inputs"]["category"] == fashn_category
    assert CATEGORIES[category] == fashn_category


def test_pictures_go_as_base64_data_uris_by_default(fa):
    request = tryon_request()
    provider().submit(request)
    inputs = sent(fa)["inputs"]
    assert inputs["model_image"].startswith("data:image/jpeg;base64,")
    assert base64.b64decode(inputs["model_image"].split(",", 1)[1]) == request.person.content
    assert inputs["garment_image"].startswith("data:image/png;base64,")


def test_public_urls_are_sent_as_is_in_url_mode(fa, settings):
    set_alias_options(settings, "fashn", IMAGE_MODE="url")
    request = tryon_request(person=image("JPEG", url="https://cdn.shop.test/model.jpg"))
    provider().submit(request)
    inputs = sent(fa)["inputs"]
    assert inputs["model_image"] == "https://cdn.shop.test/model.jpg"
    assert inputs["garment_image"].startswith("data:image/png;base64,")  # no public URL


def test_alias_inputs_then_job_options_are_sent(fa, settings):
    set_alias_options(
        settings,
        "fashn",
        INPUTS={"mode": "quality", "moderation_level": "permissive", "category": "auto"},
    )
    provider().submit(
        tryon_request(options={"mode": "performance", "seed": 7, "garment_photo_type": "flat-lay"})
    )
    inputs = sent(fa)["inputs"]
    assert inputs["mode"] == "performance" and inputs["seed"] == 7
    assert inputs["moderation_level"] == "permissive" and inputs["category"] == "auto"
    assert inputs["garment_photo_type"] == "flat-lay"


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"mode": "turbo"}, "mode"),
        ({"category": "dresses"}, "category"),
        ({"seed": -1}, "seed"),
        ({"seed": True}, "seed"),
        ({"segmentation_free": "yes"}, "segmentation_free"),
    ],
)
def test_bad_options_are_refused_before_any_call(fa, options, named):
    with pytest.raises(PermanentError) as raised:
        provider().submit(tryon_request(options=options))
    assert raised.value.code == "invalid_input" and named in raised.value.message
    assert fa.requests == []


def test_alias_options_are_checked_by_the_system_checks():
    assert FashnProvider.option_errors({"INPUTS": {"mode": "fast"}}) == [
        "INPUTS: mode must be one of performance, balanced, quality."
    ]
    assert FashnProvider.option_errors({"IMAGE_MODE": "file"})
    assert FashnProvider.option_errors({"WEBHOOK_URL": "/tryon/webhooks/fashn/fashn/"})
    assert FashnProvider.option_errors({"INPUTS": {"mode": "quality", "seed": 3}}) == []


def test_the_first_poll_waits_about_the_modes_typical_time():
    assert FashnProvider("fashn").first_poll_after() == 8.0  # balanced, FASHN's default
    assert FashnProvider("fashn", INPUTS={"mode": "performance"}).first_poll_after() == 5.0
    assert FashnProvider("fashn", FIRST_POLL_AFTER=2).first_poll_after() == 2.0


# Following a job -------------------------------------------------------------------------


def test_a_prediction_runs_then_completes_with_its_output(fa):
    fa.latency = 30
    job = provider().submit(tryon_request())
    assert (job.state, job.credits) == (JobState.RUNNING, 1)
    assert provider().poll(job).state == JobState.RUNNING
    fa.set_status(job.id, "completed")
    done = provider().poll(job)
    assert done.state == JobState.SUCCEEDED and done.result_url.startswith(fa.base_url)
    with provider().open_result(done, tryon_request()) as stream:
        assert is_image(stream.read(), "PNG")


@pytest.mark.parametrize(
    ("name", "code", "kind"),
    [
        ("PoseError", "no_person", PermanentError),
        ("ContentModerationError", "harmful_content", PermanentError),
        ("ImageLoadError", "invalid_input", PermanentError),
        ("ThirdPartyError", "provider_error", PermanentError),
        ("SomethingNew", "provider_error", PermanentError),
        # The SDK documents these with "Solution: Retry request": a new prediction is sent.
        ("PipelineError", "provider_error", ResubmitError),
        ("3rdPartyProviderError", "provider_error", ResubmitError),
        ("InternalServerError", "provider_error", ResubmitError),
        ("PollingTimeout", "deadline_exceeded", ResubmitError),
    ],
)
def test_runtime_errors_fail_the_job_free_of_charge(fa, name, code, kind):
    fa.inject("prediction_error", name=name, message="details for support")
    job = provider().submit(tryon_request())
    failed = provider().poll(job)
    assert failed.state == JobState.FAILED and failed.credits == 0
    assert type(failed.error) is kind
    assert (failed.error.code, failed.error.provider_code) == (code, name)
    assert failed.data["error"] == {"name": name, "message": "details for support"}
    assert "details for support" not in failed.error.message  # FASHN's words stay for support


def test_a_completed_prediction_without_output_is_a_bad_response(fa):
    fa.inject("empty_output")
    job = provider().submit(tryon_request())
    with pytest.raises(TransientError) as raised:
        provider().poll(job)
    assert (raised.value.code, raised.value.provider_code) == ("bad_response", "no_output")


def test_base64_results_are_read_again_at_storing_time_and_never_kept(fa, settings):
    set_alias_options(settings, "fashn", INPUTS={"return_base64": True})
    job = provider().submit(tryon_request())
    done = provider().poll(job)
    assert done.state == JobState.SUCCEEDED and done.result_url == ""
    assert done.data["result_base64"] is True and "data:" not in str(done.data)
    with provider().open_result(done, tryon_request()) as stream:
        assert is_image(stream.read(), "PNG")
    assert routes(fa) == ["create", "poll", "poll"]


def test_decoded_refuses_what_is_not_a_picture_or_too_large(settings):
    html = "data:image/png;base64," + base64.b64encode(b"<html></html>").decode()
    with pytest.raises(PermanentError, match="result_not_image"), decoded(html):
        pass
    settings.TRYON = {**settings.TRYON, "MAX_RESULT_BYTES": 10}
    big = "data:image/png;base64," + base64.b64encode(b"\x89PNG" + bytes(100)).decode()
    with pytest.raises(PermanentError, match="result_too_large"), decoded(big):
        pass


# API-level errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "name", "kind", "code"),
    [
        (401, "UnauthorizedAccess", AccountError, "auth_failed"),
        (429, "OutOfCredits", AccountError, "insufficient_credits"),
        (429, "RateLimitExceeded", TransientError, "rate_limited"),
        (429, "ConcurrencyLimitExceeded", TransientError, "rate_limited"),
        (400, "BadRequest", PermanentError, "invalid_input"),
        (500, "InternalServerError", TransientError, "provider_unavailable"),
    ],
)
def test_error_names_map_to_our_kinds_and_no_prediction_exists(fa, status, name, kind, code):
    fa.inject("http_error", route="create", status=status, error=name, message="why")
    with pytest.raises(kind) as raised:
        provider().submit(tryon_request())
    assert (raised.value.code, raised.value.provider_code) == (code, name)
    assert raised.value.no_job_created  # "API-level errors ... do not include an id"


def test_a_concurrency_429_waits_at_least_a_few_seconds_or_retry_after(fa):
    fa.inject("http_error", route="create", status=429, error="ConcurrencyLimitExceeded")
    with pytest.raises(TransientError) as raised:
        provider().submit(tryon_request())
    assert raised.value.retry_after == 5.0
    fa.inject("http_error", route="create", status=429, error="RateLimitExceeded", retry_after=9)
    with pytest.raises(TransientError) as raised:
        provider().submit(tryon_request())
    assert raised.value.retry_after == 9.0


def test_an_html_502_is_transient_and_created_nothing_a_bare_500_may_have(fa):
    fa.inject("html", route="create", status=502)
    with pytest.raises(TransientError) as raised:
        provider().submit(tryon_request())
    assert raised.value.no_job_created
    fa.inject("html", route="create", status=500)
    with pytest.raises(TransientError) as raised:
        provider().submit(tryon_request())
    assert not raised.value.no_job_created


def test_an_unknown_prediction_is_a_permanent_failure(fa):
    with pytest.raises(PermanentError, match="no longer has this job"):
        provider().poll(ProviderJob(id="gone", state=JobState.RUNNING))


# Account ---------------------------------------------------------------------------------


def test_check_and_account_summary_read_the_credits_endpoint(fa):
    fa.balance = 321
    result = provider().check()
    assert result.ok and "321 credits left" in result.message
    assert provider().account_summary() == AccountSummary(credits_left=321)
    assert routes(fa) == ["credits", "credits"]
    fa.balance = 0
    assert not provider().check().ok


def test_check_reports_a_refused_key_without_showing_it(fa, settings):
    set_alias_options(settings, "fashn", API_KEY="fa-secret-wrong")
    result = provider().check()
    assert not result.ok and "refused" in result.message
    assert "fa-secret-wrong" not in result.message


# Through the pipeline (in-process workers) -----------------------------------------------


def test_a_job_succeeds_end_to_end(fa, drive, garment, model_photo):
    job = request_tryon(garment, model_photo)
    assert drive() == 0
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error_message
    assert job.provider_job_id in fa.predictions and job.credits_charged == 1
    with job.result.open("rb") as handle:
        assert is_image(handle.read(), "PNG")
    assert fa.create_calls == 1 and fa.balance == 999


def test_out_of_credits_pauses_the_alias(fa, drive, garment, model_photo):
    fa.balance = 0
    job = request_tryon(garment, model_photo)
    drive()
    job.refresh_from_db()
    assert (job.status, job.error_code) == (Status.PENDING, "insufficient_credits")
    assert fa.predictions == {}


def test_a_pose_error_fails_with_plain_words(fa, drive, garment, model_photo):
    fa.inject("prediction_error", name="PoseError")
    job = request_tryon(garment, model_photo)
    drive()
    job.refresh_from_db()
    assert (job.status, job.error_code, job.credits_charged) == (Status.FAILED, "no_person", 0)
    assert "body pose" in job.error_message
