"""Change Clothes AI: both endpoints, input modes, every error code, bad answers, end to end."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from django_tryon.models import ProviderState, Status
from django_tryon.pipeline import advance
from django_tryon.providers.base import AccountError, JobState, PermanentError, TransientError
from django_tryon.providers.changeclothes import ERROR_CODES
from django_tryon.services import request_tryon
from tests.providers.support import image, is_image, provider, set_alias_options, tryon_request

# Garment-image mode ---------------------------------------------------------------------


def test_garment_mode_sends_both_images_as_files_with_category_and_description(cc):
    job = provider().submit(tryon_request(description="  white linen shirt "))

    sent = cc.requests[-1]
    assert (sent.method, sent.path) == ("POST", "/api/openapi/change-clothes-ai")
    assert sent.headers["Authorization"] == f"Bearer {cc.api_key}"
    assert sent.headers.get_content_type() == "multipart/form-data"
    assert sent.input_modes == {"modelImg": "file", "garmentImg": "file"}
    assert sent.form == {"category": "upper_body", "garmentDesc": "white linen shirt"}
    assert job.state == JobState.SUCCEEDED  # synchronous: finished when the call returns
    assert job.result_url.startswith(cc.base_url + "/_cdn/")
    assert job.data["mask_url"].endswith("-mask.webp")
    assert job.data["mode"] == "garment" and job.data["cache_hit"] is False
    assert job.credits == 2  # the alias's COST


@pytest.mark.parametrize(
    ("category", "sent"),
    [("upper_body", "upper_body"), ("lower_body", "lower_body"), ("full_body", "dresses")],
)
def test_categories(cc, category, sent):
    provider().submit(tryon_request(category))
    assert cc.requests[-1].form["category"] == sent


def test_no_description_sends_no_garment_desc(cc):
    provider().submit(tryon_request(description=""))
    assert "garmentDesc" not in cc.requests[-1].form


def test_base64_input_mode(cc, settings):
    set_alias_options(settings, "changeclothes", INPUT_MODE="base64")
    job = provider().submit(tryon_request())
    assert cc.requests[-1].input_modes == {"modelImg": "base64", "garmentImg": "base64"}
    assert job.state == JobState.SUCCEEDED


def test_url_input_mode_sends_public_https_urls_and_files_otherwise(cc, settings):
    set_alias_options(settings, "changeclothes", INPUT_MODE="url")
    person = image(url="https://shop.example.com/media/alex.jpg")
    provider().submit(tryon_request(person=person, garment=image("PNG", person=False)))
    assert cc.requests[-1].input_modes == {"modelImg": "url", "garmentImg": "file"}


def test_an_unknown_input_mode_is_a_system_check_error(settings):
    from django_tryon.checks import check_settings

    settings.TRYON = {
        "DEFAULT_PROVIDER": "cc",
        "PROVIDERS": {
            "cc": {
                "BACKEND": "django_tryon.providers.changeclothes.ChangeClothesProvider",
                "API_KEY": "k",
                "INPUT_MODE": "ftp",
            }
        },
    }
    assert "tryon.E010" in [error.id for error in check_settings()]


# Prompt mode -------------------------------------------------------------------------------


def prompt_request(**options):
    return tryon_request(garment=None, prompt=" a blue striped shirt ", options=options)


def test_prompt_mode_sends_the_prompt_and_records_the_seed(cc):
    job = provider().submit(
        prompt_request(seed=42, randomize_seed=False, guidance_scale=7.5, num_inference_steps=28)
    )
    sent = cc.requests[-1]
    assert sent.path == "/api/openapi/change-clothes-by-prompt"
    assert sent.input_modes == {"modelImg": "file"}
    assert sent.form == {
        "prompt": "a blue striped shirt",
        "seed": "42",
        "randomize_seed": "false",
        "guidance_scale": "7.5",
        "num_inference_steps": "28",
    }
    assert job.data["seed"] == 42 and job.data["mode"] == "prompt"
    assert "mask_url" not in job.data


def test_prompt_mode_with_a_random_seed_records_the_one_used(cc):
    job = provider().submit(prompt_request(randomize_seed="true"))
    assert cc.requests[-1].form["randomize_seed"] == "true"
    assert isinstance(job.data["seed"], int)


def test_alias_prompt_options_are_defaults_the_request_overrides(cc, settings):
    set_alias_options(settings, "changeclothes", PROMPT_OPTIONS={"guidance_scale": 50, "seed": 1})
    provider().submit(prompt_request(seed=9))
    assert cc.requests[-1].form["guidance_scale"] == "50"
    assert cc.requests[-1].form["seed"] == "9"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("guidance_scale", 0),
        ("guidance_scale", 101),
        ("guidance_scale", "strong"),
        ("num_inference_steps", 0),
        ("num_inference_steps", 51),
        ("num_inference_steps", 2.5),
        ("seed", -1),
        ("seed", 2**31),
        ("seed", True),
        ("randomize_seed", "maybe"),
    ],
)
def test_prompt_values_are_validated_before_sending(cc, name, value):
    with pytest.raises(PermanentError) as caught:
        provider().submit(prompt_request(**{name: value}))
    assert name in caught.value.message
    assert caught.value.provider_code == f"param:{name}"
    assert cc.requests == []  # nothing sent, nothing spent


def test_request_tryon_refuses_bad_prompt_values_naming_the_parameter(cc, model_photo):
    with pytest.raises(ValidationError) as caught:
        request_tryon(None, model_photo, prompt="a red dress", options={"guidance_scale": 500})
    assert "guidance_scale" in str(caught.value)
    assert cc.requests == []


def test_an_empty_prompt_is_refused(cc):
    with pytest.raises(PermanentError):
        provider().validate(tryon_request(garment=None, prompt="   "))


# Error codes (HTTP 200, as the service sends them) -------------------------------------------


@pytest.mark.parametrize(("code", "expected"), sorted(ERROR_CODES.items()))
def test_every_documented_error_code_maps_to_its_kind(cc, code, expected):
    kind, ours = expected
    cc.inject("code", code=code)
    with pytest.raises(kind) as caught:
        provider().submit(tryon_request())
    assert caught.value.code == ours
    assert caught.value.provider_code.startswith(str(code))
    assert caught.value.no_job_created


def test_the_table_covers_every_documented_code():
    documented = {500, 10001, 10002, 10003, 10004, 10005, 10006, 20001, 30001, 30002}
    assert set(ERROR_CODES) == documented
    kinds = {code: kind.__name__ for code, (kind, _) in ERROR_CODES.items()}
    assert {c for c, k in kinds.items() if k == "AccountError"} == {
        10001,
        10002,
        10003,
        10006,
        30001,
        30002,
    }
    assert {c for c, k in kinds.items() if k == "TransientError"} == {500, 20001}
    assert {c for c, k in kinds.items() if k == "PermanentError"} == {10004, 10005}


def test_invalid_param_names_the_parameter_when_the_body_does(cc):
    cc.inject("code", code=10004, msg="INVALID_PARAM: garmentImg: is not an image")
    with pytest.raises(PermanentError) as caught:
        provider().submit(tryon_request())
    assert caught.value.provider_code == "10004:garmentImg"
    assert "garment" in caught.value.message and "garmentImg" in caught.value.message


def test_invalid_param_without_a_name_is_a_plain_invalid_input(cc):
    cc.inject("code", code=10004, msg="INVALID_PARAM")
    with pytest.raises(PermanentError) as caught:
        provider().submit(tryon_request())
    assert (caught.value.code, caught.value.provider_code) == ("invalid_input", "10004")


def test_harmful_content_gets_a_polite_message(cc):
    cc.inject("code", code=10005)
    with pytest.raises(PermanentError) as caught:
        provider().submit(tryon_request())
    assert "content rules" in caught.value.message


def test_an_undocumented_code_is_a_permanent_provider_error(cc):
    cc.inject("code", code=40404, msg="SOMETHING_NEW")
    with pytest.raises(PermanentError) as caught:
        provider().submit(tryon_request())
    assert (caught.value.code, caught.value.provider_code) == ("provider_error", "40404")


def test_a_wrong_key_is_an_account_error(cc, settings):
    set_alias_options(settings, "changeclothes", API_KEY="cc-wrong")
    with pytest.raises(AccountError) as caught:
        provider().submit(tryon_request())
    assert caught.value.provider_code == "30001"
    assert "cc-wrong" not in str(caught.value)


# The body decides, not the HTTP status; unreadable answers ------------------------------------


@pytest.mark.parametrize(
    ("status", "kind", "code"),
    [
        (500, TransientError, "provider_unavailable"),  # body code 500 (documented)
        (503, TransientError, "provider_unavailable"),  # undocumented code, 5xx status
        (429, TransientError, "rate_limited"),
        (401, AccountError, "auth_failed"),  # undocumented body code: the HTTP status decides
        (402, AccountError, "insufficient_credits"),
        (418, PermanentError, "provider_error"),  # neither the code nor the status says more
    ],
)
def test_http_errors_with_a_json_body_are_read_by_their_code(cc, status, kind, code):
    cc.inject("http_error", status=status, retry_after=3)
    with pytest.raises(kind) as caught:
        provider().submit(tryon_request())
    assert caught.value.code == code
    if kind is TransientError:
        assert caught.value.retry_after == 3


@pytest.mark.parametrize(
    ("fault", "params"),
    [
        ("html", {"status": 502}),
        ("html", {"status": 200}),
        ("malformed_json", {}),
        ("missing_fields", {"fields": ("data.resultImgUrl",)}),
        ("missing_fields", {"fields": ("code",)}),
        ("missing_fields", {}),
        ("reset", {}),
    ],
)
def test_unreadable_answers_are_transient_and_create_nothing(cc, fault, params):
    cc.inject(fault, route="create", **params)
    with pytest.raises(TransientError) as caught:
        provider().submit(tryon_request())
    # A reset mid-call leaves it unknown whether the picture was made (and paid for).
    assert caught.value.no_job_created is (fault != "reset")


def test_a_call_past_the_timeout_is_transient(cc, settings):
    set_alias_options(settings, "changeclothes", TIMEOUT=0.3)
    cc.inject("timeout", route="create", seconds=2)
    with pytest.raises(TransientError) as caught:
        provider().submit(tryon_request())
    assert caught.value.code == "timeout"


def test_default_timeout_is_three_minutes(cc):
    assert provider().timeout == 180.0


# Credentials -------------------------------------------------------------------------------


def test_check_sends_the_key_with_an_incomplete_request_and_explains_its_limits(cc):
    result = provider().check()
    assert result.ok, result.message
    assert "spending credits" in result.message
    # The incomplete request is deliberate: the service refuses it before doing any work.
    assert cc.requests[-1].form == {"category": "upper_body"}
    cc.violations.clear()


def test_check_reports_a_refused_key(cc, settings):
    set_alias_options(settings, "changeclothes", API_KEY="cc-wrong-key")
    result = provider().check()
    assert not result.ok and "cc-wrong-key" not in result.message


def test_check_reports_an_empty_balance(cc):
    cc.inject("code", code=10003)
    result = provider().check()
    assert not result.ok and "credits" in result.message


# End to end through the pipeline ---------------------------------------------------------------


def test_a_garment_job_succeeds_end_to_end(cc, drive, garment, model_photo):
    job = request_tryon(garment, model_photo)
    assert drive() == 0
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error_message
    assert job.credits_charged == 2 and job.attempts == 1
    assert job.provider_job_id.startswith("cc-")
    with job.result.open("rb") as handle:
        assert is_image(handle.read(), "WEBP")
    assert not job.mask  # STORE_MASK is off by default
    assert job.provider_data["mask_url"].endswith("-mask.webp")
    assert cc.create_calls == 1


def test_store_mask_keeps_the_mask_too(cc, settings, drive, garment, model_photo):
    set_alias_options(settings, "changeclothes", STORE_MASK=True)
    job = request_tryon(garment, model_photo)
    drive()
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED
    with job.mask.open("rb") as handle:
        assert is_image(handle.read(), "WEBP")
    assert "/masks/" in job.mask.name


def test_a_mask_that_cannot_be_fetched_does_not_fail_the_job(
    cc, settings, monkeypatch, drive, garment, model_photo
):
    from django_tryon.providers.changeclothes import ChangeClothesProvider

    set_alias_options(settings, "changeclothes", STORE_MASK=True)
    real = ChangeClothesProvider.open_extra

    def expired_mask(self, job, name):
        job.data["mask_url"] = cc.url("/_cdn/change-clothes-ai/gone.webp")  # 404
        return real(self, job, name)

    monkeypatch.setattr(ChangeClothesProvider, "open_extra", expired_mask)
    job = request_tryon(garment, model_photo)
    drive()
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED
    assert job.result and not job.mask


def test_a_prompt_job_succeeds_end_to_end_and_keeps_its_seed(cc, drive, model_photo):
    job = request_tryon(None, model_photo, prompt="a blue striped shirt", options={"seed": 1234})
    assert drive() == 0
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error_message
    assert job.provider_data["seed"] == 1234
    assert cc.requests[0].form["prompt"] == "a blue striped shirt"


def test_harmful_content_fails_the_job_at_once(cc, drive, garment, model_photo):
    cc.inject("code", code=10005)
    job = request_tryon(garment, model_photo)
    drive()
    job.refresh_from_db()
    assert (job.status, job.error_code, job.provider_error_code) == (
        Status.FAILED,
        "harmful_content",
        "10005",
    )
    assert job.credits_charged == 0
    assert cc.create_calls == 1


def test_server_errors_are_retried_then_succeed(cc, drive, garment, model_photo):
    cc.inject("code", code=20001)
    cc.inject("html", status=502)
    job = request_tryon(garment, model_photo)
    drive()
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED
    assert cc.create_calls == 3
    assert job.credits_charged == 2  # only the call that produced a picture


def test_no_credits_pauses_the_alias(cc, garment, model_photo):
    cc.inject("code", code=10003)
    job = request_tryon(garment, model_photo)
    advance(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error_code) == (Status.PENDING, "insufficient_credits")
    assert ProviderState.objects.get(alias="changeclothes").is_paused


@pytest.mark.parametrize(
    ("fault", "params", "code"),
    [
        ("not_image", {}, "result_not_image"),
        ("oversized", {"size": 3 * 1024 * 1024}, "result_too_large"),
        ("redirect", {}, "url_not_allowed"),
    ],
)
def test_bad_result_downloads_fail_the_job_and_store_nothing(
    cc, settings, drive, garment, model_photo, fault, params, code
):
    settings.TRYON = {**settings.TRYON, "MAX_RESULT_BYTES": 1024 * 1024}
    cc.inject(fault, route="download", **params)
    job = request_tryon(garment, model_photo)
    assert drive() == 0
    job.refresh_from_db()
    assert (job.status, job.error_code) == (Status.FAILED, code)
    assert not job.result
