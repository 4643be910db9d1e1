"""Magic Hour: request shapes, every status and error mapping, downloads, end to end.

Every request goes to the emulator, which validates it against the official OpenAPI spec;
the fixture fails the test on any contract violation.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from django_tryon.models import ProviderState, Status, TryOnJob
from django_tryon.pipeline import advance
from django_tryon.providers.base import (
    AccountError,
    AccountSummary,
    JobState,
    PermanentError,
    ProviderJob,
    TransientError,
)
from django_tryon.providers.http import DownloadError
from django_tryon.providers.magichour import GARMENT_TYPES, render_error
from django_tryon.services import request_tryon
from tests.providers.support import (
    image,
    is_image,
    provider,
    routes,
    set_alias_options,
    tryon_request,
)

# Request shapes ------------------------------------------------------------------------


def test_submit_uploads_both_images_then_creates_the_project(mh):
    job = provider().submit(tryon_request())

    assert routes(mh) == ["upload_urls", "upload", "upload_urls", "upload", "create"]
    upload_urls = [r for r in mh.requests if r.route == "upload_urls"]
    assert upload_urls[0].json() == {"items": [{"type": "image", "extension": "jpg"}]}
    assert upload_urls[1].json() == {"items": [{"type": "image", "extension": "png"}]}
    for put in (r for r in mh.requests if r.route == "upload"):
        assert put.method == "PUT"
        assert put.headers.get("Authorization") is None  # presigned: our key stays home
    person_path, garment_path = list(mh.uploads)  # in upload order
    create = mh.requests[-1]
    assert create.headers["Authorization"] == f"Bearer {mh.api_key}"
    assert create.json() == {
        "name": "django-tryon test",
        "assets": {
            "person_file_path": person_path,
            "garment_file_path": garment_path,
            "garment_type": "upper_body",
        },
    }
    assert job.id in mh.projects
    assert (job.state, job.credits, job.data) == (JobState.RUNNING, 25, {"credits": 25})


@pytest.mark.parametrize(
    ("category", "garment_type"),
    [("upper_body", "upper_body"), ("lower_body", "lower_body"), ("full_body", "entire_outfit")],
)
def test_categories_map_to_garment_types_never_the_deprecated_dresses(mh, category, garment_type):
    provider().submit(tryon_request(category))
    assert mh.requests[-1].json()["assets"]["garment_type"] == garment_type
    assert "dresses" not in GARMENT_TYPES.values()


def test_public_https_urls_and_api_asset_paths_are_used_as_is(mh):
    # The emulator accepts only paths it issued: upload one, then pass its path along.
    issued = provider().asset_path(image("PNG", person=False))
    assert issued.startswith("api-assets/")
    before = len(mh.requests)
    person = image(url="https://cdn.example.com/people/alex.jpg")
    garment = image("PNG", person=False, url=issued)

    provider().submit(tryon_request(person=person, garment=garment))

    assert routes(mh)[before:] == ["create"]
    assets = mh.requests[-1].json()["assets"]
    assert assets["person_file_path"] == "https://cdn.example.com/people/alex.jpg"
    assert assets["garment_file_path"] == issued


def test_urls_without_an_image_extension_or_plain_http_are_uploaded(mh):
    person = image(url="https://cdn.example.com/people/alex?id=3")
    garment = image("PNG", person=False, url="http://cdn.example.com/shirt.png")
    provider().submit(tryon_request(person=person, garment=garment))
    assert routes(mh).count("upload") == 2


def test_send_urls_off_always_uploads(mh, settings):
    set_alias_options(settings, "magichour", SEND_URLS=False)
    provider().submit(tryon_request(person=image(url="https://cdn.example.com/alex.jpg")))
    assert routes(mh).count("upload") == 2


def test_formats_magic_hour_refuses_are_converted_to_png_first(mh):
    provider().submit(tryon_request(garment=image("GIF", person=False)))
    garment_urls = [r for r in mh.requests if r.route == "upload_urls"][1]
    assert garment_urls.json() == {"items": [{"type": "image", "extension": "png"}]}
    garment_put = [r for r in mh.requests if r.route == "upload"][1]
    assert is_image(garment_put.body, "PNG")


# Following a project: every status -------------------------------------------------------


@pytest.fixture
def queued(mh):
    """A submitted project that stays queued until the test moves it."""
    mh.latency = 3600
    return provider().submit(tryon_request())


@pytest.mark.parametrize("status", ["queued", "rendering"])
def test_queued_and_rendering_are_running(mh, queued, status):
    if status != "queued":
        mh.set_status(queued.id, status)
    job = provider().poll(queued)
    assert (job.state, job.credits, job.result_url) == (JobState.RUNNING, 25, "")


def test_complete_is_succeeded_with_the_first_download(mh, queued):
    mh.set_status(queued.id, "complete")
    job = provider().poll(queued)
    assert job.state == JobState.SUCCEEDED
    assert job.result_url.startswith(mh.base_url + f"/_cdn/{queued.id}/")


def test_error_is_failed_with_a_plain_message_and_the_refund(mh, queued):
    mh.set_status(
        queued.id, "error", error_code="no_source_face", error_message="Please use a face"
    )
    job = provider().poll(queued)
    assert job.state == JobState.FAILED
    assert isinstance(job.error, PermanentError)
    assert (job.error.code, job.error.provider_code) == ("no_person", "no_source_face")
    assert "couldn't find a person" in job.error.message
    assert job.credits == 0 and job.data["credits"] == 0  # refunded
    assert job.data["error"] == {"code": "no_source_face", "message": "Please use a face"}


def test_canceled_is_canceled_with_the_refund(mh, queued):
    mh.set_status(queued.id, "canceled")
    job = provider().poll(queued)
    assert (job.state, job.credits) == (JobState.CANCELED, 0)


@pytest.mark.parametrize(
    ("code", "ours"),
    [
        ("no_source_face", "no_person"),
        ("no_person_detected", "no_person"),
        ("nsfw_content", "harmful_content"),
        ("content_moderation", "harmful_content"),
        ("invalid_image_format", "invalid_input"),
        ("resolution_too_small", "invalid_input"),
        ("internal_render_failure", "provider_error"),
        ("", "provider_error"),
    ],
)
def test_render_error_codes_map_to_permanent_errors(code, ours):
    error = render_error(code)
    assert isinstance(error, PermanentError)
    assert error.code == ours


def test_a_project_that_vanished_fails_permanently(mh):
    with pytest.raises(PermanentError) as caught:
        provider().poll(ProviderJob(id="cnotthere", state=JobState.RUNNING))
    assert caught.value.provider_code == "http_404"


# Following a project: HTTP errors and bad answers ------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind", "code"),
    [
        (401, AccountError, "auth_failed"),
        (402, AccountError, "insufficient_credits"),
        (403, AccountError, "auth_failed"),
        (429, TransientError, "rate_limited"),
        (500, TransientError, "provider_unavailable"),
        (502, TransientError, "provider_unavailable"),
        (503, TransientError, "provider_unavailable"),
        (400, PermanentError, "invalid_input"),
    ],
)
def test_poll_http_errors_map_to_kinds(mh, queued, status, kind, code):
    mh.inject("http_error", route="poll", status=status)
    with pytest.raises(kind) as caught:
        provider().poll(queued)
    assert caught.value.code == code
    assert caught.value.provider_code == f"http_{status}"


def test_429_keeps_retry_after(mh, queued):
    mh.inject("http_error", route="poll", status=429, retry_after=7)
    with pytest.raises(TransientError) as caught:
        provider().poll(queued)
    assert caught.value.retry_after == 7


@pytest.mark.parametrize(
    ("fault", "params"),
    [
        ("html", {"status": 502}),
        ("html", {"status": 200}),
        ("malformed_json", {}),
        ("missing_fields", {"fields": ("status",)}),
        ("missing_fields", {}),
    ],
)
def test_unreadable_project_answers_are_transient(mh, queued, fault, params):
    mh.set_status(queued.id, "complete")
    mh.inject(fault, route="poll", **params)
    with pytest.raises(TransientError):
        provider().poll(queued)


def test_complete_without_downloads_is_transient_not_success(mh):
    mh.inject("empty_downloads")
    job = provider().submit(tryon_request())
    with pytest.raises(TransientError) as caught:
        provider().poll(job)
    assert (caught.value.code, caught.value.provider_code) == ("bad_response", "no_downloads")


# Creating: errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind", "no_job_created"),
    [
        (401, AccountError, True),
        (402, AccountError, True),
        (403, AccountError, True),
        (422, PermanentError, True),
        (429, TransientError, True),
        (500, TransientError, False),  # the project may exist: unknown
        (502, TransientError, True),
        (503, TransientError, True),
    ],
)
def test_create_errors(mh, status, kind, no_job_created):
    mh.inject("http_error", route="create", status=status)
    with pytest.raises(kind) as caught:
        provider().submit(tryon_request())
    assert caught.value.no_job_created is no_job_created
    assert mh.projects == {}


@pytest.mark.parametrize(
    ("fault", "params"),
    [
        ("html", {"status": 502}),
        ("malformed_json", {}),
        ("missing_fields", {"fields": ("id",)}),
        ("reset", {}),
    ],
)
def test_unreadable_create_answers_are_transient(mh, fault, params):
    mh.inject(fault, route="create", **params)
    with pytest.raises(TransientError):
        provider().submit(tryon_request())


def test_a_create_that_times_out_is_transient(mh, settings):
    set_alias_options(settings, "magichour", TIMEOUT=0.3)
    mh.inject("timeout", route="create", seconds=2)
    with pytest.raises(TransientError) as caught:
        provider().submit(tryon_request())
    assert caught.value.code == "timeout"


def test_missing_credits_charged_falls_back_to_the_documented_price(mh):
    mh.inject("missing_fields", route="create", fields=("credits_charged",))
    assert provider().submit(tryon_request()).credits == 25


def test_upload_failures_never_leave_a_project_and_are_not_account_errors(mh):
    mh.inject("http_error", route="upload", status=403)  # an expired presigned URL
    with pytest.raises(TransientError) as caught:
        provider().submit(tryon_request())
    assert caught.value.no_job_created
    assert "create" not in routes(mh)


def test_upload_urls_refused_for_the_key_is_an_account_error(mh):
    mh.inject("http_error", route="upload_urls", status=401)
    with pytest.raises(AccountError) as caught:
        provider().submit(tryon_request())
    assert caught.value.no_job_created


def test_the_api_key_appears_in_no_error(mh, settings):
    set_alias_options(settings, "magichour", API_KEY="mh-secret-do-not-leak", TIMEOUT=0.3)
    for fault, params in (
        ("http_error", {"status": 401}),
        ("reset", {}),
        ("timeout", {"seconds": 1}),
    ):
        mh.inject(fault, route="upload_urls", **params)
        with pytest.raises(Exception) as caught:
            provider().submit(tryon_request())
        assert "mh-secret-do-not-leak" not in f"{caught.value!r} {caught.value}"
        assert caught.value.__context__ is None or "mh-secret" not in repr(caught.value.__context__)


# Results -------------------------------------------------------------------------------------


@pytest.fixture
def complete(mh):
    return provider().poll(provider().submit(tryon_request()))


def test_open_result_streams_the_png(mh, complete):
    with provider().open_result(complete, tryon_request()) as stream:
        assert is_image(stream.read(), "PNG")
    assert mh.requests[-1].route == "download"
    assert mh.requests[-1].headers.get("Authorization") is None


def test_an_expired_download_url_is_refreshed_once(mh, complete):
    mh.inject("expired")
    with provider().open_result(complete, tryon_request()) as stream:
        assert is_image(stream.read(), "PNG")
    assert routes(mh)[-3:] == ["download", "poll", "download"]


def test_a_download_url_that_expires_twice_is_a_transient_download_error(mh, complete):
    mh.inject("expired", times=2)
    with pytest.raises(DownloadError) as caught, provider().open_result(complete, tryon_request()):
        pass
    assert caught.value.status == 403


@pytest.mark.parametrize(
    ("fault", "params", "code"),
    [
        ("not_image", {}, "result_not_image"),
        ("oversized", {"size": 3 * 1024 * 1024}, "result_too_large"),
        ("oversized", {"size": 3 * 1024 * 1024, "declare_length": False}, "result_too_large"),
        ("redirect", {}, "url_not_allowed"),  # to http://169.254.169.254/
    ],
)
def test_bad_downloads_are_refused(mh, complete, settings, fault, params, code):
    settings.TRYON = {**settings.TRYON, "MAX_RESULT_BYTES": 1024 * 1024}
    mh.inject(fault, route="download", **params)
    with pytest.raises(PermanentError) as caught, provider().open_result(complete, tryon_request()):
        pass
    assert caught.value.code == code


def test_discard_deletes_the_project_and_ignores_one_already_gone(mh, complete):
    provider().discard(complete)
    assert mh.requests[-1].method == "DELETE"
    assert mh.projects[complete.id].enabled is False
    provider().discard(ProviderJob(id="cgone", state=JobState.SUCCEEDED))  # 404: fine


def test_magic_hour_cannot_cancel_an_image_project(mh):
    assert provider().supports_cancel is False


# Credentials ---------------------------------------------------------------------------------


def test_check_is_one_free_get_of_the_account_telling_credits_and_plan(mh):
    mh.credits, mh.tier = 1234, "pro"
    result = provider().check()
    assert result.ok, result.message
    assert "1234 credits left on the pro plan" in result.message
    assert [(r.method, r.route) for r in mh.requests] == [("GET", "account")]
    assert mh.create_calls == 0


def test_check_fails_when_the_credits_left_do_not_pay_for_one_picture(mh):
    mh.credits = 24
    result = provider().check()
    assert not result.ok and "24 credits left" in result.message


def test_account_summary_is_what_the_account_endpoint_says(mh):
    mh.credits, mh.tier = 75, "business"
    assert provider().account_summary() == AccountSummary(credits_left=75, plan="business")


def test_check_reports_a_refused_key_without_showing_it(mh, settings):
    set_alias_options(settings, "magichour", API_KEY="mh-wrong-key-123")
    result = provider().check()
    assert not result.ok
    assert "401" in result.message and "mh-wrong-key-123" not in result.message


def test_check_reports_an_unreachable_service(mh, settings):
    set_alias_options(settings, "magichour", BASE_URL="http://127.0.0.1:9")
    result = provider().check()
    assert not result.ok and "unreachable" in result.message


# End to end through the pipeline (in-process workers) -----------------------------------------


def test_a_job_succeeds_end_to_end(mh, drive, garment, model_photo):
    job = request_tryon(garment, model_photo)
    assert drive() == 0
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error_message
    assert job.provider_job_id in mh.projects
    assert job.credits_charged == 25 and job.attempts == 1
    with job.result.open("rb") as handle:
        assert is_image(handle.read(), "PNG")
    assert mh.create_calls == 1


def test_delete_after_download_removes_the_project(mh, settings, drive, garment, model_photo):
    set_alias_options(settings, "magichour", DELETE_AFTER_DOWNLOAD=True)
    job = request_tryon(garment, model_photo)
    drive()
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED
    assert mh.projects[job.provider_job_id].enabled is False
    assert routes(mh)[-1] == "delete"


def test_no_person_fails_with_plain_words_and_is_refunded(mh, drive, garment, model_photo):
    mh.inject("project_error", code="no_source_face")
    job = request_tryon(garment, model_photo)
    drive()
    job.refresh_from_db()
    assert (job.status, job.error_code, job.provider_error_code) == (
        Status.FAILED,
        "no_person",
        "no_source_face",
    )
    assert "couldn't find a person" in job.error_message
    assert job.credits_charged == 0
    assert not job.result


def test_a_project_canceled_at_magic_hour_is_canceled_here(mh, drive, garment, model_photo):
    mh.inject("project_canceled")
    job = request_tryon(garment, model_photo)
    drive()
    job.refresh_from_db()
    assert (job.status, job.credits_charged) == (Status.CANCELED, 0)


def test_rate_limits_and_server_errors_are_retried_then_succeed(
    mh, settings, drive, garment, model_photo
):
    settings.TRYON = {**settings.TRYON, "MAX_TRANSIENT_ERRORS": 5}
    mh.inject("http_error", route="create", status=429, retry_after=0)
    mh.inject("http_error", route="poll", status=503)
    mh.inject("html", route="poll", status=502)
    job = request_tryon(garment, model_photo)
    assert drive() == 0
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED
    assert mh.create_calls == 2  # the refused one, then the one that took
    assert len(mh.projects) == 1
    assert job.attempts == 2


def test_retry_after_is_honoured(mh, settings, garment, model_photo, run_tasks):
    settings.TRYON = {**settings.TRYON, "BACKOFF_MAX": 120}
    mh.inject("http_error", route="create", status=429, retry_after=30)
    job = request_tryon(garment, model_photo)
    advance(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error_code, job.provider_job_id) == (Status.PENDING, "rate_limited", "")
    wait = (job.next_check_at - timezone.now()).total_seconds()
    assert 28 < wait <= 30


def test_transient_errors_are_bounded_then_the_job_fails(mh, drive, garment, model_photo):
    mh.inject("http_error", route="create", status=503, times=10)
    job = request_tryon(garment, model_photo)
    assert drive() == 0
    job.refresh_from_db()
    assert (job.status, job.error_code) == (Status.FAILED, "provider_unavailable")
    assert mh.create_calls == 3  # MAX_TRANSIENT_ERRORS in these tests


def test_account_errors_pause_the_alias_and_the_queue_waits(mh, settings, garment, model_photo):
    mh.inject("http_error", route="create", status=402)
    first = request_tryon(garment, model_photo, options={"n": 1})
    second = request_tryon(garment, model_photo, options={"n": 2})
    advance(first.pk)
    advance(second.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert ProviderState.objects.get(alias="magichour").is_paused
    assert (first.status, first.error_code) == (Status.PENDING, "insufficient_credits")
    assert second.status == Status.PENDING  # never sent: the alias is paused
    assert mh.create_calls == 1


@pytest.mark.parametrize(
    ("fault", "params", "code"),
    [
        ("not_image", {}, "result_not_image"),
        ("oversized", {"size": 3 * 1024 * 1024, "declare_length": False}, "result_too_large"),
        ("redirect", {}, "url_not_allowed"),
    ],
)
def test_bad_downloads_fail_the_job_and_store_nothing(
    mh, settings, drive, garment, model_photo, fault, params, code
):
    settings.TRYON = {**settings.TRYON, "MAX_RESULT_BYTES": 1024 * 1024}
    mh.inject(fault, route="download", **params)
    job = request_tryon(garment, model_photo)
    assert drive() == 0
    job.refresh_from_db()
    assert (job.status, job.error_code) == (Status.FAILED, code)
    assert not job.result


def test_an_expired_download_is_fetched_again_end_to_end(mh, drive, garment, model_photo):
    mh.inject("expired")
    job = request_tryon(garment, model_photo)
    drive()
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED


def test_empty_downloads_end_in_a_clear_failure_not_a_stuck_job(mh, drive, garment, model_photo):
    mh.inject("empty_downloads")
    job = request_tryon(garment, model_photo)
    assert drive() == 0
    job.refresh_from_db()
    assert (job.status, job.error_code, job.provider_error_code) == (
        Status.FAILED,
        "bad_response",
        "no_downloads",
    )
    assert "could not read" in job.error_message


@pytest.mark.parametrize("fault", ["html", "malformed_json", "missing_fields"])
def test_bad_poll_answers_are_retried_and_the_job_still_succeeds(
    mh, drive, garment, model_photo, fault
):
    mh.inject(fault, route="poll")
    job = request_tryon(garment, model_photo)
    assert drive() == 0
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED


def test_the_concurrency_cap_keeps_extra_jobs_pending(
    mh, settings, garment, model_photo, run_tasks
):
    set_alias_options(settings, "magichour", MAX_CONCURRENT=1)
    mh.latency = 3600
    jobs = [request_tryon(garment, model_photo, options={"n": n}) for n in range(3)]
    for job in jobs:
        advance(job.pk)
    statuses = list(TryOnJob.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == [Status.RUNNING, Status.PENDING, Status.PENDING]
    assert mh.create_calls == 1


def test_prompt_only_garments_are_refused_before_any_request(mh, model_photo):
    from django.core.exceptions import ValidationError

    with pytest.raises(PermanentError):
        provider().validate(tryon_request(garment=None, prompt="a red dress"))
    with pytest.raises(ValidationError):
        request_tryon(None, model_photo, prompt="a red dress")
    assert mh.requests == []
