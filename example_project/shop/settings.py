"""Settings of the example shop. Everything that differs between machines comes from the
environment, so one file serves the one-machine demo (SQLite, ORM broker, local files) and a
many-machine setup (Postgres, Redis, S3). See README.md for the variables.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Published with the code, so fit for the demo only: anyone may sign cookies with it
# (sessions, the try-on owner cookie). Without DEBUG the shop refuses to start with it.
DEMO_SECRET_KEY = "demo-only-insecure-secret-key"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or DEMO_SECRET_KEY
DEBUG = env_flag("DJANGO_DEBUG", True)
if SECRET_KEY == DEMO_SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured(
        "The example shop runs with DEBUG off but with its public demo SECRET_KEY, which "
        "would let anyone forge its signed cookies. Set DJANGO_SECRET_KEY in the "
        "environment to a long random value, e.g. "
        "DJANGO_SECRET_KEY=\"$(python -c 'import secrets; print(secrets.token_urlsafe(50))')\"."
    )
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
# "default" holds the merchant's pictures (product, garment and model photos);
# "tryon_private" holds shoppers' photos and every try-on result, and no URL serves it:
# django-tryon streams those files to whoever may see them, or signs an S3 URL for minutes.
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "tryon_private": {  # outside MEDIA_ROOT, which runserver publishes in DEBUG
        "BACKEND": "django_tryon.storage.PrivateFileSystemStorage",
        "OPTIONS": {
            "location": Path(os.environ.get("DJANGO_PRIVATE_ROOT") or BASE_DIR / "private")
        },
    },
}
if os.environ.get("TRYON_STORAGE") == "s3":
    S3_OPTIONS = {
        "access_key": os.environ.get("AWS_ACCESS_KEY_ID"),
        "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY"),
        "bucket_name": os.environ.get("AWS_STORAGE_BUCKET_NAME"),
        "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL"),
        "region_name": os.environ.get("AWS_S3_REGION_NAME"),
        # Names are random already; never overwrite, never public, URLs presigned.
        "file_overwrite": False,
        "default_acl": "private",
        "querystring_auth": True,
    }
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": S3_OPTIONS}
    STORAGES["tryon_private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        # Its own prefix of the private bucket; signed URLs of shoppers' files last 5 minutes.
        "OPTIONS": {**S3_OPTIONS, "location": "private", "querystring_expire": 300},
    }
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT") or BASE_DIR / "media")
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
if os.environ.get("FASHN_API_KEY"):
    PROVIDERS["fashn"] = {
        "BACKEND": "django_tryon.providers.fashn.FashnProvider",
        "API_KEY": os.environ["FASHN_API_KEY"],
        "BASE_URL": os.environ.get("FASHN_BASE_URL", "https://api.fashn.ai"),
        # Callbacks only make the shop poll sooner; unset, it polls.
        "WEBHOOK_URL": os.environ.get("FASHN_WEBHOOK_URL", ""),
        "WEBHOOK_TOKEN": os.environ.get("FASHN_WEBHOOK_TOKEN", ""),
        "MAX_CONCURRENT": 6,  # FASHN's default concurrency limit
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
    "PRIVATE_STORAGE": "tryon_private",  # checked: tryon.E013 if a URL would serve it
    # The try-on result offers the shop's own "Add to bag" (catalog.views.bag_add).
    "ADD_TO_CART": {"URL": "catalog:bag_add", "FIELDS": {"quantity": "1"}},
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
    "loggers": {
        "django_tryon": {"handlers": ["console"], "level": "INFO"},
        # Django logs a 500's traceback here; with DEBUG off its default only mails ADMINS.
        "django.request": {"handlers": ["console"], "level": "ERROR"},
    },
}
