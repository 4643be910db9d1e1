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
    emulated = {"BACKEND": MAGICHOUR, "API_KEY": "k", "ALLOW_PRIVATE_URLS": True}
    settings.DEBUG = False
    assert ids(PROVIDERS={"sandbox": SANDBOX, "mh": emulated}) == ["tryon.W001"]
    settings.DEBUG = True
    assert ids(PROVIDERS={"sandbox": SANDBOX, "mh": emulated}) == []


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


def test_a_misspelt_provider_option_is_an_error_with_a_suggestion():
    typo = {**SANDBOX, "MAX_CONCURENT": 3}
    with override_settings(TRYON={"PROVIDERS": {"sandbox": typo}}):
        (error,) = check_settings()
    assert error.id == "tryon.E012" and error.obj == "sandbox"
    assert "'MAX_CONCURENT'" in error.msg and "SandboxProvider" in error.msg
    assert error.hint.startswith("Did you mean 'MAX_CONCURRENT'?")


def test_an_option_of_another_backend_is_refused_without_a_guess():
    # Magic Hour's WEBHOOK_SECRET means nothing to the sandbox, and looks like none of its own.
    assert ids(PROVIDERS={"sandbox": {**SANDBOX, "WEBHOOK_SECRET": "s"}}) == ["tryon.E012"]
    with override_settings(TRYON={"PROVIDERS": {"sandbox": {**SANDBOX, "WEBHOOK_SECRET": "s"}}}):
        (error,) = check_settings()
    assert "Did you mean" not in error.hint and "LATENCY" in error.hint


def test_options_are_declared_by_the_class_or_any_of_its_bases():
    magichour = {
        "BACKEND": MAGICHOUR,
        "API_KEY": "k",
        "BASE_URL": "http://127.0.0.1:1",  # HttpProvider's
        "ALLOW_PRIVATE_URLS": True,  # HttpProvider's
        "COST": 25,  # every backend's
        "FALLBACK": "sandbox",
        "WEBHOOK_SECRET": "s",  # Magic Hour's own
    }
    assert ids(PROVIDERS={"sandbox": SANDBOX, "magichour": magichour}) == [
        "tryon.W001"  # ALLOW_PRIVATE_URLS outside DEBUG, and nothing else
    ]


def test_every_option_the_code_reads_is_declared_by_its_backend():
    """What the pipeline and each provider module read is what the check lets through."""
    from django.utils.module_loading import import_string

    from tests.docs.test_settings_reference import (
        COMMON_MODULES,
        PROVIDER_PAGES,
        options_read_by,
    )

    common = options_read_by(*COMMON_MODULES) - {"BACKEND"}
    for module, dotted in PROVIDER_PAGES.values():
        backend = import_string(dotted)
        declared = set(backend.declared_options())
        read = options_read_by(module)
        if "HttpProvider" not in {k.__name__ for k in backend.__mro__}:
            common_here = common - {"BASE_URL", "ALLOW_PRIVATE_URLS"}
        else:
            common_here = common
        assert (read | common_here) <= declared, (dotted, sorted((read | common_here) - declared))


# Shoppers' files must land where no URL serves them unsigned (tryon.E013, E014) ---------

FILES = "django.core.files.storage.FileSystemStorage"
PRIVATE_FILES = "django_tryon.storage.PrivateFileSystemStorage"
S3 = "storages.backends.s3.S3Storage"
S3_PRIVATE = {"bucket_name": "b", "default_acl": "private", "querystring_auth": True}


def private_storage_errors(settings, entry=None, **overrides):
    """The E013/E014 errors with STORAGES["tryon_private"] set to ``entry`` (None: absent)."""
    storages = {k: v for k, v in settings.STORAGES.items() if k != "tryon_private"}
    if entry is not None:
        storages["tryon_private"] = entry
    with override_settings(STORAGES=storages, **overrides):
        return [e for e in check_settings() if e.id in ("tryon.E013", "tryon.E014")]


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"BACKEND": FILES, "OPTIONS": {"location": "{media}/private"}}, "inside MEDIA_ROOT"),
        ({"BACKEND": FILES, "OPTIONS": {"location": "{media}"}}, "inside MEDIA_ROOT"),
        ({"BACKEND": FILES, "OPTIONS": {"location": "{static}"}}, "inside STATIC_ROOT"),
        (
            {"BACKEND": FILES, "OPTIONS": {"location": "{other}", "base_url": "/files/"}},
            "base_url",
        ),
        ({"BACKEND": S3, "OPTIONS": {**S3_PRIVATE, "querystring_auth": False}}, "querystring_auth"),
        ({"BACKEND": S3, "OPTIONS": {**S3_PRIVATE, "default_acl": "public-read"}}, "default_acl"),
        (
            {"BACKEND": S3, "OPTIONS": {**S3_PRIVATE, "custom_domain": "cdn.shop.test"}},
            "custom_domain",
        ),
    ],
    ids=[
        "under-media",
        "media-itself",
        "static",
        "base-url",
        "s3-unsigned",
        "s3-public-acl",
        "s3-cdn",
    ],
)
def test_a_private_storage_whose_files_a_url_would_serve(settings, tmp_path, entry, reason):
    paths = {"media": tmp_path / "media", "static": tmp_path / "static", "other": tmp_path / "x"}
    options = {
        k: v.format(**paths) if isinstance(v, str) else v
        for k, v in entry.get("OPTIONS", {}).items()
    }
    errors = private_storage_errors(
        settings,
        {**entry, "OPTIONS": options},
        MEDIA_ROOT=str(paths["media"]),
        STATIC_ROOT=str(paths["static"]),
    )
    assert [e.id for e in errors] == ["tryon.E013"]
    assert reason in errors[0].msg and "public" in errors[0].msg
    assert "PrivateFileSystemStorage" in errors[0].hint and "querystring_auth" in errors[0].hint


@pytest.mark.parametrize(
    "entry",
    [
        {"BACKEND": PRIVATE_FILES, "OPTIONS": {"location": "{other}"}},
        {"BACKEND": FILES, "OPTIONS": {"location": "{other}"}},  # outside MEDIA_ROOT, no URL
        {"BACKEND": S3, "OPTIONS": S3_PRIVATE},
        {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    ],
    ids=["private-files", "files-elsewhere", "s3-signed", "memory"],
)
def test_private_storages_pass(settings, tmp_path, entry):
    options = {
        k: v.format(other=tmp_path / "x") if isinstance(v, str) else v
        for k, v in entry.get("OPTIONS", {}).items()
    }
    media = str(tmp_path / "media")
    assert private_storage_errors(settings, {**entry, "OPTIONS": options}, MEDIA_ROOT=media) == []


def test_without_the_alias_a_private_folder_next_to_media_root_is_the_default(settings, tmp_path):
    from django_tryon.storage import PrivateFileSystemStorage, private_storage

    media = tmp_path / "media"
    assert private_storage_errors(settings, None, MEDIA_ROOT=str(media)) == []
    with override_settings(
        STORAGES={k: v for k, v in settings.STORAGES.items() if k != "tryon_private"},
        MEDIA_ROOT=str(media),
    ):
        storage = private_storage()
        assert isinstance(storage, PrivateFileSystemStorage)
        assert storage.location == str(tmp_path / "tryon-private")
        with pytest.raises(NotImplementedError):
            storage.url("tryon/people/x.jpg")  # nothing can link to it


def test_without_the_alias_or_media_root_there_is_nowhere_private(settings):
    errors = private_storage_errors(settings, None, MEDIA_ROOT="")
    assert [e.id for e in errors] == ["tryon.E014"]
    assert "tryon_private" in errors[0].hint


def test_the_private_storage_may_be_another_alias(settings, tmp_path):
    media = str(tmp_path / "media")
    public = {"BACKEND": FILES, "OPTIONS": {"location": media}}
    with override_settings(STORAGES={**settings.STORAGES, "files": public}, MEDIA_ROOT=media):
        assert ids(PRIVATE_STORAGE="files") == ["tryon.E013"]  # the public one: refused
        assert ids(PRIVATE_STORAGE="tryon_private") == []


def test_product_adapter_and_models_must_exist():
    assert ids(PRODUCT_ADAPTER="no.such.Adapter") == ["tryon.E015"]
    assert ids(PRODUCT_MODELS=["shop.Nothing"]) == ["tryon.E015"]
    assert ids(PRODUCT_ADAPTER="django_tryon.adapters.DefaultProductAdapter") == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("PHOTO_MIN_SHARPNESS", 4.0),  # the old edge statistic's scale: refuses every photo
        ("PHOTO_MIN_BRIGHTNESS", -1),
        ("PHOTO_MAX_BRIGHTNESS", 300),
        ("PHOTO_MIN_CONTRAST", "12"),
        ("PHOTO_MIN_SHORT_EDGE", None),
    ],
)
def test_a_photo_threshold_out_of_its_range(key, value):
    assert ids(**{key: value}) == ["tryon.E016"]
    with override_settings(TRYON={key: value}):
        (error,) = [e for e in check_settings() if e.id == "tryon.E016"]
    assert key in error.msg and "see the settings reference" in error.hint


def test_photo_thresholds_in_range_are_clean():
    assert ids(PHOTO_MIN_SHARPNESS=0.3, PHOTO_MIN_BRIGHTNESS=60, PHOTO_MIN_SHORT_EDGE=768) == []
