"""Google Vertex AI Virtual Try-On: the predict call, options, credentials, errors, end to end."""

from __future__ import annotations

import base64
import json

import pytest
from django.core.exceptions import ValidationError

from django_tryon.checks import check_settings
from django_tryon.models import ProviderState, Status
from django_tryon.pipeline import advance
from django_tryon.providers.base import AccountError, JobState, PermanentError, TransientError
from django_tryon.services import request_tryon
from tests.providers.support import (
    image,
    is_image,
    provider,
    service_account_key,
    set_alias_options,
    tryon,
    tryon_request,
    vertex_alias,
)

PREDICT = "/v1/projects/tryon-test/locations/europe-west4/publishers/google/models/virtual-try-on-001:predict"


def sent_body(emulator):
    return emulator.requests[-1].json()


def decoded(field):
    return base64.b64decode(field["bytesBase64Encoded"])


# The request ---------------------------------------------------------------------------------


def test_predict_sends_the_person_and_the_garment_inline_with_the_token(vtx):
    request = tryon_request()
    job = provider().submit(request)

    sent = vtx.requests[-1]
    assert (sent.method, sent.path) == ("POST", PREDICT)
    assert sent.headers["Authorization"] == f"Bearer {vtx.access_token}"
    body = sent.json()
    (instance,) = body["instances"]
    assert decoded(instance["personImage"]["image"]) == request.person.content
    assert instance["personImage"]["image"]["mimeType"] == "image/jpeg"
    (product,) = instance["productImages"]
    assert decoded(product["image"]) == request.garment.content
    assert body["parameters"] == {"sampleCount": 1}  # Google's defaults for the rest
    assert job.state == JobState.SUCCEEDED  # synchronous: finished when the call returns
    assert job.id.startswith("vtx-") and job.credits == 3  # the alias's COST per picture
    assert job.data == {"samples": 1, "filtered": 0, "mime_type": "image/png", "credits": 3}


def test_a_webp_garment_is_sent_as_png(vtx):
    provider().submit(tryon_request(garment=image("WEBP", person=False)))
    product = sent_body(vtx)["instances"][0]["productImages"][0]["image"]
    assert product["mimeType"] == "image/png" and is_image(decoded(product), "PNG")


def test_alias_settings_become_parameters(vtx, settings):
    set_alias_options(
        settings,
        "vertex",
        PERSON_GENERATION="ALLOW_ALL",
        SAFETY_SETTING="block_only_high",
        ADD_WATERMARK=False,
        SEED=11,
        BASE_STEPS=40,
        OUTPUT_MIME_TYPE="image/jpeg",
        COMPRESSION_QUALITY=90,
    )
    job = provider().submit(tryon_request())
    assert sent_body(vtx)["parameters"] == {
        "sampleCount": 1,
        "seed": 11,
        "baseSteps": 40,
        "personGeneration": "allow_all",
        "safetySetting": "block_only_high",
        "addWatermark": False,
        "outputOptions": {"mimeType": "image/jpeg", "compressionQuality": 90},
    }
    assert job.data["seed"] == 11 and job.data["mime_type"] == "image/jpeg"


def test_a_jobs_seed_sample_count_and_steps_override_the_alias(vtx, settings):
    set_alias_options(settings, "vertex", ADD_WATERMARK=False, SEED=1, SAMPLE_COUNT=1)
    job = provider().submit(tryon_request(options={"seed": 99, "sample_count": 3, "base_steps": 8}))
    parameters = sent_body(vtx)["parameters"]
    assert (parameters["seed"], parameters["sampleCount"], parameters["baseSteps"]) == (99, 3, 8)
    assert job.credits == 9  # three pictures at COST 3; the first is kept
    assert job.data["samples"] == 3


def test_the_estimate_counts_every_sample(vtx, settings):
    set_alias_options(settings, "vertex", SAMPLE_COUNT=2)
    assert provider().estimate_credits(tryon_request()) == 6
    assert provider().estimate_credits(tryon_request(options={"sample_count": 4})) == 12
    assert provider().estimate_credits() == 3


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({"sample_count": 0}, "sample_count"),
        ({"sample_count": 5}, "sample_count"),
        ({"sample_count": "many"}, "sample_count"),
        ({"base_steps": 0}, "base_steps"),
        ({"base_steps": True}, "base_steps"),
        ({"seed": 5}, "seed"),  # the alias keeps Google's watermark: no seed then
    ],
)
def test_bad_job_options_are_refused_before_sending(vtx, options, name):
    with pytest.raises(PermanentError) as caught:
        provider().submit(tryon_request(options=options))
    assert caught.value.provider_code == f"param:{name}"
    assert vtx.requests == []  # nothing sent, nothing spent


def test_request_tryon_refuses_a_seed_on_a_watermarked_alias(vtx, garment, model_photo):
    with pytest.raises(ValidationError) as caught:
        request_tryon(garment, model_photo, options={"seed": 3})
    assert "ADD_WATERMARK" in str(caught.value)
    assert vtx.requests == []


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"PROJECT": ""}, "PROJECT"),
        ({"PERSON_GENERATION": "everyone"}, "PERSON_GENERATION"),
        ({"SAFETY_SETTING": "lenient"}, "SAFETY_SETTING"),
        ({"OUTPUT_MIME_TYPE": "image/webp"}, "OUTPUT_MIME_TYPE"),
        ({"SAMPLE_COUNT": 9}, "SAMPLE_COUNT"),
        ({"MAX_GARMENTS": 4}, "MAX_GARMENTS"),
        ({"SEED": 4}, "ADD_WATERMARK"),
        ({"CREDENTIALS_FILE": "/k.json", "CREDENTIALS_INFO": {"type": "x"}}, "not both"),
    ],
)
def test_misconfigured_aliases_are_system_check_errors(
    vertex_emulator, settings, options, fragment
):
    settings.TRYON = tryon({"vertex": vertex_alias(vertex_emulator, **options)}, "vertex")
    errors = [e for e in check_settings() if e.id == "tryon.E010"]
    assert errors and fragment in errors[0].msg


def test_a_well_configured_alias_passes_the_checks_and_needs_no_api_key(vertex_emulator, settings):
    settings.TRYON = tryon({"vertex": vertex_alias(vertex_emulator, TIMEOUT=25)}, "vertex")
    assert [e.id for e in check_settings()] == []


def test_the_default_timeout_is_sized_against_the_cluster(vertex_emulator, settings):
    # 120 s per call: tests/settings.py gives workers 60 s, which tryon.E007 refuses.
    settings.TRYON = tryon({"vertex": vertex_alias(vertex_emulator)}, "vertex")
    assert provider("vertex").timeout == 120.0
    assert "tryon.E007" in {e.id for e in check_settings()}


def test_the_default_endpoint_is_the_regional_one(settings):
    settings.TRYON = tryon({"vertex": {"BACKEND": "django_tryon.providers.vertex.VertexProvider",
                                       "PROJECT": "shop-42", "REGION": "us-east4"}}, "vertex")  # fmt: skip
    vertex = provider("vertex")
    assert vertex.base_url == "https://us-east4-aiplatform.googleapis.com"
    assert vertex.predict_path == (
        "/v1/projects/shop-42/locations/us-east4/publishers/google/models/virtual-try-on-001:predict"
    )


# Several garments per call ------------------------------------------------------------------


def test_one_garment_per_call_unless_the_alias_allows_more(vtx, settings):
    from django_tryon.providers.base import GarmentInput

    extra = [GarmentInput(image("PNG", person=False), "lower_body")]
    vertex = provider()
    assert vertex.garment_limit == 1 and not vertex.supports_multiple_garments
    with pytest.raises(PermanentError) as caught:
        vertex.submit(tryon_request(extra_garments=extra))
    assert caught.value.code == "too_many_garments"
    assert vtx.requests == []

    set_alias_options(settings, "vertex", MAX_GARMENTS=2)
    vtx.max_product_images = 2  # a model that takes two, as the REST reference allows
    vertex = provider()
    assert vertex.supports_multiple_garments
    vertex.submit(tryon_request(extra_garments=extra))
    assert len(sent_body(vtx)["instances"][0]["productImages"]) == 2


# Errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "message", "kind", "code"),
    [
        (429, None, TransientError, "rate_limited"),  # RESOURCE_EXHAUSTED: the quota
        (500, None, TransientError, "provider_unavailable"),
        (503, None, TransientError, "provider_unavailable"),
        (504, None, TransientError, "timeout"),
        (401, None, AccountError, "auth_failed"),
        (403, "Permission denied on resource project tryon-test.", AccountError, "auth_failed"),
        (403, "This API method requires billing to be enabled.", AccountError,
         "insufficient_credits"),
        (404, "Publisher Model was not found.", AccountError, "auth_failed"),
        (400, "Image editing failed: the input was blocked by Responsible AI practices.",
         PermanentError, "harmful_content"),
        (400, "No person detected in the person image.", PermanentError, "no_person"),
        (400, "Image is too small.", PermanentError, "invalid_input"),
    ],
)  # fmt: skip
def test_google_errors_map_to_our_kinds(vtx, status, message, kind, code):
    vtx.inject("http_error", route="create", status=status, message=message, retry_after=4)
    with pytest.raises(kind) as caught:
        provider().submit(tryon_request())
    assert caught.value.code == code
    assert caught.value.no_job_created  # synchronous: a refusal made no picture
    if kind is TransientError:
        assert caught.value.retry_after == 4


def test_quota_exhaustion_says_busy_in_plain_words(vtx):
    vtx.inject("http_error", route="create", status=429)
    with pytest.raises(TransientError) as caught:
        provider().submit(tryon_request())
    assert caught.value.provider_code == "RESOURCE_EXHAUSTED"
    assert "busy" in caught.value.message


def test_every_sample_filtered_is_a_content_refusal(vtx, settings):
    set_alias_options(settings, "vertex", SAMPLE_COUNT=2)
    vtx.inject("rai_filtered")
    with pytest.raises(PermanentError) as caught:
        provider().submit(tryon_request())
    assert (caught.value.code, caught.value.provider_code) == ("harmful_content", "rai_filtered")
    assert "content rules" in caught.value.message


def test_some_samples_filtered_keep_the_first_picture_and_charge_the_rest(vtx, settings):
    set_alias_options(settings, "vertex", SAMPLE_COUNT=2)
    real = vtx.handle

    def one_filtered(record):
        answer = real(record)
        body = json.loads(answer.body)
        body["predictions"][0] = {"raiFilteredReason": "filtered"}
        answer.body = json.dumps(body).encode()
        return answer

    vtx.handle = one_filtered
    job = provider().submit(tryon_request())
    assert job.data["filtered"] == 1 and job.data["rai_filtered_reasons"] == ["filtered"]
    assert job.credits == 3


def test_an_endless_error_page_is_judged_by_its_status(vtx):
    from django_tryon.testing.emulators.base import Response

    vtx.handle = lambda record: Response(503, b"<html>" + b"x" * (3 * 1024 * 1024))
    with pytest.raises(TransientError) as caught:
        provider().submit(tryon_request())
    assert caught.value.code == "provider_unavailable"


def test_an_empty_prediction_list_is_a_content_refusal(vtx):
    vtx.inject("no_predictions")
    with pytest.raises(PermanentError) as caught:
        provider().submit(tryon_request())
    assert (caught.value.code, caught.value.provider_code) == ("harmful_content", "no_predictions")


def test_a_token_google_no_longer_takes_is_refreshed_once(vertex_emulator, settings, sa_key):
    settings.TRYON = tryon(
        {"vertex": vertex_alias(vertex_emulator, ACCESS_TOKEN="", CREDENTIALS_INFO=sa_key,
                                TOKEN_URI=vertex_emulator.token_uri)}, "vertex",
    )  # fmt: skip
    vertex = provider()
    vertex.submit(tryon_request())
    vertex_emulator.issued_tokens.clear()  # Google revoked it
    vertex.submit(tryon_request())
    assert vertex_emulator.token_grants == [JWT, JWT]
    assert [r.route for r in vertex_emulator.requests] == [
        "token",
        "create",
        "create",
        "token",
        "create",
    ]


# Credentials -----------------------------------------------------------------------------------

JWT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@pytest.fixture
def sa_key():
    return service_account_key()


def test_a_service_account_key_file_gets_a_token_then_calls(
    vertex_emulator, settings, sa_key, tmp_path
):
    path = tmp_path / "key.json"
    path.write_text(json.dumps(sa_key))
    settings.TRYON = tryon(
        {"vertex": vertex_alias(vertex_emulator, ACCESS_TOKEN="", CREDENTIALS_FILE=str(path),
                                TOKEN_URI=vertex_emulator.token_uri)}, "vertex",
    )  # fmt: skip
    vertex = provider()
    vertex.submit(tryon_request())
    vertex.submit(tryon_request())
    assert vertex_emulator.token_grants == [JWT]  # one token, reused until it expires
    (token,) = vertex_emulator.issued_tokens
    assert vertex_emulator.requests[-1].headers["Authorization"] == f"Bearer {token}"


def test_application_default_credentials_are_used_without_a_key(
    vertex_emulator, settings, monkeypatch, tmp_path
):
    adc = tmp_path / "adc.json"
    adc.write_text(json.dumps({
        "type": "authorized_user", "client_id": "cid", "client_secret": "cs",
        "refresh_token": "rt", "token_uri": vertex_emulator.token_uri,
    }))  # fmt: skip
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(adc))
    settings.TRYON = tryon(
        {
            "vertex": vertex_alias(
                vertex_emulator, ACCESS_TOKEN="", TOKEN_URI=vertex_emulator.token_uri
            )
        },
        "vertex",
    )
    provider().submit(tryon_request())
    assert vertex_emulator.token_grants == ["refresh_token"]


def test_a_refused_key_pauses_nothing_but_is_an_account_error(vertex_emulator, settings, sa_key):
    settings.TRYON = tryon(
        {"vertex": vertex_alias(vertex_emulator, ACCESS_TOKEN="", CREDENTIALS_INFO=sa_key,
                                TOKEN_URI=vertex_emulator.token_uri)}, "vertex",
    )  # fmt: skip
    vertex_emulator.inject("http_error", route="token", status=400)
    with pytest.raises(AccountError) as caught:
        provider().submit(tryon_request())
    assert caught.value.code == "auth_failed" and caught.value.no_job_created
    assert "PRIVATE KEY" not in str(caught.value)
    assert vertex_emulator.create_calls == 0


def test_missing_credentials_are_an_account_error(vertex_emulator, settings, monkeypatch, tmp_path):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    settings.TRYON = tryon({"vertex": vertex_alias(vertex_emulator, ACCESS_TOKEN="")}, "vertex")
    with pytest.raises(AccountError) as caught:
        provider().submit(tryon_request())
    assert caught.value.provider_code == "credentials"


def test_check_gets_a_token_and_reads_the_model(vertex_emulator, settings, sa_key):
    settings.TRYON = tryon(
        {"vertex": vertex_alias(vertex_emulator, ACCESS_TOKEN="", CREDENTIALS_INFO=sa_key,
                                TOKEN_URI=vertex_emulator.token_uri)}, "vertex",
    )  # fmt: skip
    result = provider().check()
    assert result.ok, result.message
    assert "virtual-try-on-001" in result.message and "Cloud console" in result.message
    assert [r.route for r in vertex_emulator.requests] == ["token", "model"]
    assert vertex_emulator.create_calls == 0  # no picture made, nothing charged


def test_check_reports_refused_credentials(vtx, settings):
    set_alias_options(settings, "vertex", ACCESS_TOKEN="expired")
    result = provider().check()
    assert not result.ok and "refused" in result.message and "expired" not in result.message


def test_check_reports_an_unknown_model(vtx, settings):
    set_alias_options(settings, "vertex", MODEL="virtual-try-on-999")
    result = provider().check()
    assert not result.ok and "does not know" in result.message


# End to end through the pipeline ---------------------------------------------------------------


def test_a_job_succeeds_end_to_end(vtx, drive, garment, model_photo):
    job = request_tryon(garment, model_photo)
    assert drive() == 0
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error_message
    assert job.credits_charged == 3 and job.attempts == 1
    assert job.provider_job_id.startswith("vtx-")
    with job.result.open("rb") as handle:
        assert is_image(handle.read(), "PNG")
    assert vtx.create_calls == 1
    assert "bytesBase64Encoded" not in json.dumps(job.provider_data)  # the picture isn't in the row


def test_a_lost_picture_is_asked_for_again_with_its_seed(
    vtx, settings, drive, garment, model_photo
):
    from django_tryon.providers.vertex import VertexProvider

    set_alias_options(settings, "vertex", ADD_WATERMARK=False)
    real = VertexProvider.submit

    def forgetful(self, request):
        pjob = real(self, request)
        self._held.clear()  # as if another process picked up the fetch
        return pjob

    VertexProvider.submit = forgetful
    try:
        job = request_tryon(garment, model_photo, options={"seed": 21})
        drive()
    finally:
        VertexProvider.submit = real
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED
    assert vtx.create_calls == 2
    assert [r.json()["parameters"]["seed"] for r in vtx.requests] == [21, 21]


def test_a_safety_refusal_fails_the_job_at_once(vtx, drive, garment, model_photo):
    vtx.inject("rai_filtered")
    job = request_tryon(garment, model_photo)
    drive()
    job.refresh_from_db()
    assert (job.status, job.error_code, job.provider_error_code) == (
        Status.FAILED,
        "harmful_content",
        "rai_filtered",
    )
    assert job.credits_charged == 0 and not job.result


def test_quota_is_retried_then_succeeds(vtx, drive, garment, model_photo):
    vtx.inject("http_error", route="create", status=429, retry_after=0)
    job = request_tryon(garment, model_photo)
    drive()
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED
    assert vtx.create_calls == 2 and job.credits_charged == 3


def test_a_wrong_project_pauses_the_alias(vtx, settings, garment, model_photo):
    set_alias_options(settings, "vertex", PROJECT="someone-else")
    job = request_tryon(garment, model_photo)
    advance(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error_code) == (Status.PENDING, "auth_failed")
    assert ProviderState.objects.get(alias="vertex").is_paused
