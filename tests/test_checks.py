"""Misconfiguration is reported by system checks, with an id and a hint."""

import pytest
from django.test import override_settings

from django_tryon.checks import check_settings

SANDBOX = {"BACKEND": "django_tryon.providers.sandbox.SandboxProvider"}
MAGICHOUR = "django_tryon.providers.magichour.MagicHourProvider"


def ids(**tryon):
    with override_settings(TRYON=tryon):
        return sorted(e.id for e in check_settings())


def test_the_default_configuration_is_clean():
    assert ids() == []


def test_an_unknown_default_provider():
    assert ids(DEFAULT_PROVIDER="nope") == ["tryon.E001"]


def test_a_backend_that_does_not_import():
    assert ids(PROVIDERS={"sandbox": SANDBOX, "x": {"BACKEND": "no.such.Provider"}}) == [
        "tryon.E002"
    ]
    assert ids(PROVIDERS={"sandbox": SANDBOX, "x": {}}) == ["tryon.E002"]


def test_a_real_provider_without_an_api_key():
    assert ids(PROVIDERS={"sandbox": SANDBOX, "mh": {"BACKEND": MAGICHOUR}}) == ["tryon.E003"]
    assert ids(PROVIDERS={"sandbox": SANDBOX, "mh": {"BACKEND": MAGICHOUR, "API_KEY": "k"}}) == []


def test_a_storage_alias_missing_from_storages():
    assert ids(STORAGE="tryon") == ["tryon.E004"]


def test_django_q_not_installed(settings):
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "django_q"]
    assert ids() == ["tryon.E005"]


@pytest.mark.parametrize(
    ("timeout", "retry", "expected"),
    [(60, 90, []), (90, 90, ["tryon.E006"]), (120, 60, ["tryon.E006"])],
)
def test_q_cluster_timeout_must_be_below_retry(settings, timeout, retry, expected):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": timeout, "retry": retry}
    assert ids() == expected


def test_q_cluster_timeout_must_outlast_the_longest_provider_call(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 60, "retry": 300}
    slow = {**SANDBOX, "TIMEOUT": 180}
    assert ids(PROVIDERS={"sandbox": slow}) == ["tryon.E007"]
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 240, "retry": 300}
    assert ids(PROVIDERS={"sandbox": slow}) == []


def test_q_cluster_timeout_must_outlast_a_ticker_or_drain_budget_and_one_call(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 240, "retry": 300}
    slow = {**SANDBOX, "TIMEOUT": 180}
    # A task may start a 180 s call 60 s in: 240 s are not enough.
    assert ids(PROVIDERS={"sandbox": slow}, TICK_SECONDS=60) == ["tryon.E007"]
    assert ids(PROVIDERS={"sandbox": slow}, TICK_SECONDS=10) == []


def test_a_fallback_that_is_not_an_alias():
    assert ids(PROVIDERS={"sandbox": {**SANDBOX, "FALLBACK": "other"}}) == ["tryon.E008"]


def test_a_malformed_rate_limit():
    assert ids(RATE_LIMITS={"IP": "lots"}) == ["tryon.E009"]


def test_private_urls_warned_about_outside_debug(settings):
    settings.DEBUG = False
    assert ids(PROVIDERS={"sandbox": {**SANDBOX, "ALLOW_PRIVATE_URLS": True}}) == ["tryon.W001"]
    settings.DEBUG = True
    assert ids(PROVIDERS={"sandbox": {**SANDBOX, "ALLOW_PRIVATE_URLS": True}}) == []


def test_an_unknown_key_is_probably_a_typo():
    assert ids(POLL_INTERVALL=3) == ["tryon.W002"]


@pytest.mark.django_db  # Django 6.1's check command also looks at the database
def test_manage_py_check_reports_them():
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    with (
        override_settings(TRYON={"DEFAULT_PROVIDER": "nope"}),
        pytest.raises(SystemCheckError) as failed,
    ):
        call_command("check")
    assert "tryon.E001" in str(failed.value)


def test_the_lease_must_outlast_the_longest_provider_call(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 240, "retry": 300}
    slow = {**SANDBOX, "TIMEOUT": 180}
    assert ids(PROVIDERS={"sandbox": slow}, LEASE_SECONDS=120) == ["tryon.E011"]
    assert ids(PROVIDERS={"sandbox": slow}, LEASE_SECONDS=300) == []


def test_product_adapter_and_models_must_exist():
    assert ids(PRODUCT_ADAPTER="no.such.Adapter") == ["tryon.E012"]
    assert ids(PRODUCT_MODELS=["shop.Nothing"]) == ["tryon.E012"]
    assert ids(PRODUCT_ADAPTER="django_tryon.adapters.DefaultProductAdapter") == []
