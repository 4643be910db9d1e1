"""The error vocabulary: one enum of codes with their words, one root exception."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.test import override_settings
from django.utils import translation

from django_tryon import errors
from django_tryon.errors import (
    MESSAGES,
    ErrorCode,
    JobTimeout,
    ShopperError,
    StorageError,
    TryOnError,
    UnknownProvider,
    WebhookRejected,
)
from django_tryon.models import TryOnJob
from django_tryon.providers import get_provider
from django_tryon.providers.base import AccountError, PermanentError, ProviderError, TransientError


def test_codes_compare_equal_to_the_strings_stored_before():
    assert ErrorCode.NO_PERSON == "no_person"
    assert "no_person" in {ErrorCode.NO_PERSON}
    assert {"no_person": 1}[ErrorCode.NO_PERSON] == 1
    assert f"{ErrorCode.NO_PERSON}" == "no_person"


def test_every_message_belongs_to_a_code_and_is_translated():
    assert set(MESSAGES) <= set(ErrorCode)
    with translation.override("de"):
        assert ErrorCode.CANCELED.message == "Diese Anprobe wurde abgebrochen."
    assert ErrorCode.PROMPT_TOO_LONG.message == ""  # its words need the limit: built where raised


@pytest.mark.parametrize(
    ("error", "mixed_in"),
    [
        (ShopperError(ErrorCode.NOT_FOUND), None),
        (TransientError(ErrorCode.TIMEOUT), None),
        (PermanentError(ErrorCode.NO_PERSON), None),
        (AccountError(ErrorCode.AUTH_FAILED), None),
        (WebhookRejected(ErrorCode.BAD_SIGNATURE), SuspiciousOperation),
        (UnknownProvider("ghost"), KeyError),
        (UnknownProvider("ghost"), ImproperlyConfigured),
        (StorageError("ClientError while saving"), OSError),
        (JobTimeout(TryOnJob(pk=7, status="running")), TimeoutError),
    ],
)
def test_every_exception_shares_the_root_and_is_what_it_was(error, mixed_in):
    assert isinstance(error, TryOnError)
    assert error.code in set(ErrorCode)
    if mixed_in is not None:
        assert isinstance(error, mixed_in)


def test_a_refusal_without_words_takes_its_codes_words_and_status():
    refusal = ShopperError(ErrorCode.GARMENT_UNAVAILABLE)
    assert refusal.message == "This product can't be tried on at the moment."
    assert refusal.status == 404
    assert ShopperError(ErrorCode.CONSENT_REQUIRED).status == 400
    assert ShopperError(ErrorCode.RATE_LIMITED, "Later.", retry_after=60).retry_after == 60


def test_a_provider_error_with_an_unknown_code_reads_as_a_generic_failure():
    error = PermanentError("something_new", provider_code="X1")
    assert error.message == str(MESSAGES[ErrorCode.PROVIDER_ERROR])
    assert isinstance(error, ProviderError) and error.provider_code == "X1"


def test_old_import_locations_still_work():
    from django_tryon.providers import UnknownProvider as from_providers
    from django_tryon.providers.base import MESSAGES as base_messages
    from django_tryon.providers.base import WebhookRejected as from_base
    from django_tryon.services import JobTimeout as from_services
    from django_tryon.services import ShopperError as from_services_shopper
    from django_tryon.services.shopper import STATUS_FOR_CODE
    from django_tryon.storage import StorageError as from_storage

    assert from_providers is UnknownProvider and from_base is WebhookRejected
    assert from_services is JobTimeout and from_services_shopper is ShopperError
    assert from_storage is StorageError and base_messages is MESSAGES
    assert STATUS_FOR_CODE is errors.STATUS_FOR_CODE


@override_settings(
    TRYON={"PROVIDERS": {"sandbox": {"BACKEND": "django_tryon.providers.sandbox.SandboxProvider"}}}
)
def test_an_unknown_alias_is_a_key_error_naming_it():
    with pytest.raises(KeyError) as caught:
        get_provider("ghost")
    assert caught.value.alias == "ghost" and str(caught.value) == "'ghost'"
    assert caught.value.code == ErrorCode.UNKNOWN_PROVIDER


def test_a_storage_error_reads_as_its_detail():
    assert str(StorageError("ClientError while saving to the storage")).startswith("ClientError")
    assert StorageError().code == ErrorCode.STORAGE_ERROR
