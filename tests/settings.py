"""Settings for the test suite. ``DATABASE_URL`` switches SQLite to Postgres."""

import json
import os
import sys
import tempfile
from pathlib import Path

import dj_database_url

# The example shop's catalog app is tested too (tests/example_project/).
sys.path.append(str(Path(__file__).resolve().parent.parent / "example_project"))

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "django_tryon",
    "tests.shop",
    "catalog",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "tests.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get(
            "DATABASE_URL",
            "sqlite:///" + os.path.join(tempfile.gettempdir(), "tryon-tests.sqlite3"),
        ),
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory, so that qcluster subprocesses share the test database.
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"tryon-test-{os.getpid()}.sqlite3")
    }
elif "postgresql" in DATABASES["default"]["ENGINE"]:
    # The suite's commits need not survive a power cut: without waiting for the WAL to reach
    # the disk, a commit costs a round trip, not an fsync (what every concurrency test and
    # qcluster run here is made of). Visibility between connections is unchanged.
    DATABASES["default"]["OPTIONS"] = {"options": "-c synchronous_commit=off"}
# A qcluster started by the tests (tests/cluster.py) connects straight to the test database.
if os.environ.get("TRYON_DB_NAME"):
    DATABASES["default"]["NAME"] = os.environ["TRYON_DB_NAME"]

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # TRYON["PRIVATE_STORAGE"]'s default alias: every job's files, apart from the merchant's.
    "tryon_private": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
}
# A qcluster subprocess must share the test's storages: the cluster fixture passes them as
# JSON (a harness that passes only the default has both kinds of files kept there).
if os.environ.get("TRYON_DEFAULT_STORAGE"):
    STORAGES["default"] = json.loads(os.environ["TRYON_DEFAULT_STORAGE"])
    STORAGES["tryon_private"] = json.loads(
        os.environ.get("TRYON_PRIVATE_STORAGE") or os.environ["TRYON_DEFAULT_STORAGE"]
    )
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = os.path.join(tempfile.gettempdir(), "tryon-static")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

Q_CLUSTER = {
    # "name" salts the signed task packages; "cluster_name" picks the queue (unique per test).
    "name": "tryon-tests",
    "cluster_name": os.environ.get("TRYON_Q_NAME", "tryon-tests"),
    "workers": int(os.environ.get("TRYON_Q_WORKERS", "2")),
    "timeout": 60,
    "retry": 90,
    "max_attempts": 2,
    "catch_up": False,
    "poll": 0.1,
    "guard_cycle": 0.2,
}
if os.environ.get("TRYON_Q_BROKER") == "redis":
    Q_CLUSTER["redis"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
else:
    Q_CLUSTER["orm"] = "default"

TRYON = {
    "DEFAULT_PROVIDER": "sandbox",
    "PROVIDERS": {
        "sandbox": {"BACKEND": "django_tryon.providers.sandbox.SandboxProvider", "LATENCY": 0},
    },
    "POLL_INTERVAL": 0.2,
    "TICK_SECONDS": 3,
}
# Per-run TRYON overrides for qcluster subprocesses (tests/cluster.py), as JSON.
if os.environ.get("TRYON_OVERRIDES"):
    TRYON.update(json.loads(os.environ["TRYON_OVERRIDES"]))

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
