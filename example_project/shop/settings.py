"""Settings of the example shop. Everything that differs between machines comes from the
environment, so one file serves the one-machine demo (SQLite, ORM broker, local files) and a
many-machine setup (Postgres, Redis, S3). See README.md for the variables.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "demo-only-insecure-secret-key")
DEBUG = env_flag("DJANGO_DEBUG", True)
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "django_tryon",
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
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"
ASGI_APPLICATION = "shop.asgi.application"
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

# Database: DATABASE_URL, else a SQLite file next to manage.py.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=0
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # runserver, the qcluster workers and the ORM broker all write: WAL lets readers and one
    # writer overlap, IMMEDIATE takes the write lock up front (no deadlocked upgrades), and
    # the busy timeout waits for the lock instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

# Storage: local files, or S3 (any S3-compatible endpoint) with TRYON_STORAGE=s3.
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if os.environ.get("TRYON_STORAGE") == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "access_key": os.environ.get("AWS_ACCESS_KEY_ID"),
            "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY"),
            "bucket_name": os.environ.get("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL"),
            "region_name": os.environ.get("AWS_S3_REGION_NAME"),
            # Names are random already; never overwrite, never public, URLs presigned.
            "file_overwrite": False,
            "default_acl": "private",
            "querystring_auth": True,
        },
    }
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "/media/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_URL = "/static/"

# Try-on providers: the offline sandbox always, real ones when their key is set.
ALLOW_PRIVATE_URLS = env_flag("TRYON_ALLOW_PRIVATE_URLS")  # local provider emulators only
PROVIDERS: dict[str, dict[str, object]] = {
    "sandbox": {"BACKEND": "django_tryon.providers.sandbox.SandboxProvider", "LATENCY": 4.0},
}
if os.environ.get("MAGICHOUR_API_KEY"):
    PROVIDERS["magichour"] = {
        "BACKEND": "django_tryon.providers.magichour.MagicHourProvider",
        "API_KEY": os.environ["MAGICHOUR_API_KEY"],
        "BASE_URL": os.environ.get("MAGICHOUR_BASE_URL", "https://api.magichour.ai"),
        "WEBHOOK_SECRET": os.environ.get("MAGICHOUR_WEBHOOK_SECRET", ""),
        "ALLOW_PRIVATE_URLS": ALLOW_PRIVATE_URLS,
    }
if os.environ.get("CHANGECLOTHES_API_KEY"):
    PROVIDERS["changeclothes"] = {
        "BACKEND": "django_tryon.providers.changeclothes.ChangeClothesProvider",
        "API_KEY": os.environ["CHANGECLOTHES_API_KEY"],
        "BASE_URL": os.environ.get("CHANGECLOTHES_BASE_URL", "https://changeclothesai.online"),
        # Change Clothes answers synchronously and can take minutes.
        "TIMEOUT": 180,
        "ALLOW_PRIVATE_URLS": ALLOW_PRIVATE_URLS,
    }
if os.environ.get("VERTEX_PROJECT"):
    # Credentials: VERTEX_CREDENTIALS_FILE (a service account key), else Application Default
    # Credentials; VERTEX_ACCESS_TOKEN and VERTEX_TOKEN_URI are for the emulator.
    PROVIDERS["vertex"] = {
        "BACKEND": "django_tryon.providers.vertex.VertexProvider",
        "PROJECT": os.environ["VERTEX_PROJECT"],
        "REGION": os.environ.get("VERTEX_REGION", "us-central1"),
        "BASE_URL": os.environ.get("VERTEX_BASE_URL", ""),
        "ACCESS_TOKEN": os.environ.get("VERTEX_ACCESS_TOKEN", ""),
        "CREDENTIALS_FILE": os.environ.get("VERTEX_CREDENTIALS_FILE", ""),
        "TOKEN_URI": os.environ.get("VERTEX_TOKEN_URI", ""),
        # Vertex answers synchronously, usually within 20 s.
        "TIMEOUT": 120,
    }
TRYON = {
    "DEFAULT_PROVIDER": os.environ.get("TRYON_PROVIDER", "sandbox"),
    "PROVIDERS": PROVIDERS,
    "STORAGE": "default",
}

# django-q2: Redis when REDIS_URL is set, else the database as broker. Few workers, since
# waiting on a provider holds none. timeout > the longest provider call (180 s) + 30 s,
# and retry > timeout so the ORM broker never hands a running task to a second worker.
Q_CLUSTER: dict[str, object] = {
    "name": "tryon-demo",
    "workers": 2,
    "timeout": 240,
    "retry": 300,
    "max_attempts": 3,
    "catch_up": False,
    "poll": 0.5,
    "label": "Task queue",
}
if os.environ.get("REDIS_URL"):
    Q_CLUSTER["redis"] = os.environ["REDIS_URL"]
else:
    Q_CLUSTER["orm"] = "default"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = True
LANGUAGE_CODE = "en"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_tryon": {"handlers": ["console"], "level": "INFO"}},
}
