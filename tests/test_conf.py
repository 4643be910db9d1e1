"""TRYON is read lazily, with defaults, so override_settings just works."""

import pytest
from django.test import override_settings

from django_tryon.conf import DEFAULTS, tryon_settings
from django_tryon.providers import get_provider


def test_defaults_fill_in_what_the_project_leaves_out():
    with override_settings(TRYON={}):
        assert tryon_settings.DEFAULT_PROVIDER == "sandbox"
        assert tryon_settings.STORAGE == "default"
        assert DEFAULTS["SHOPPER_RETENTION_HOURS"] == tryon_settings.SHOPPER_RETENTION_HOURS


def test_values_are_read_at_access_time():
    with override_settings(TRYON={"POLL_INTERVAL": 7}):
        assert tryon_settings.POLL_INTERVAL == 7
    with override_settings(TRYON={"POLL_INTERVAL": 9}):
        assert tryon_settings.POLL_INTERVAL == 9


def test_an_unknown_setting_is_an_attribute_error():
    with pytest.raises(AttributeError):
        tryon_settings.NOT_A_SETTING


def test_every_key_but_backend_is_an_option_of_the_alias():
    providers = {"mh": {"BACKEND": "x.Y", "API_KEY": "k", "MAX_CONCURRENT": 3}}
    with override_settings(TRYON={"PROVIDERS": providers}):
        config = tryon_settings.provider("mh")
    assert config.backend == "x.Y" and config.options == {"API_KEY": "k", "MAX_CONCURRENT": 3}


def test_two_aliases_may_share_a_backend_with_their_own_options():
    sandbox = "django_tryon.providers.sandbox.SandboxProvider"
    providers = {"a": {"BACKEND": sandbox, "LATENCY": 1}, "b": {"BACKEND": sandbox, "LATENCY": 2}}
    with override_settings(TRYON={"PROVIDERS": providers, "DEFAULT_PROVIDER": "a"}):
        assert get_provider("a").option("LATENCY") == 1
        assert get_provider("b").option("LATENCY") == 2
        assert get_provider().alias == "a"


def test_provider_instances_follow_settings_changes():
    sandbox = "django_tryon.providers.sandbox.SandboxProvider"
    with override_settings(TRYON={"PROVIDERS": {"s": {"BACKEND": sandbox, "LATENCY": 1}}}):
        assert get_provider("s").option("LATENCY") == 1
    with override_settings(TRYON={"PROVIDERS": {"s": {"BACKEND": sandbox, "LATENCY": 5}}}):
        assert get_provider("s").option("LATENCY") == 5


@pytest.mark.parametrize(
    ("value", "parsed"), [("10/h", (10, 3600)), ("3/m", (3, 60)), ("100/d", (100, 86400))]
)
def test_rate_limits_read_as_count_per_seconds(value, parsed):
    with override_settings(TRYON={"RATE_LIMITS": {"IP": value}}):
        assert tryon_settings.rate_limit("IP") == parsed
        assert tryon_settings.rate_limit("SESSION") is None
