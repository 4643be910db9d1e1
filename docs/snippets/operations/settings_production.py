import os

# PostgreSQL: every web process and every cluster on every host share it.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ["DB_HOST"],
        "NAME": os.environ["DB_NAME"],
        "USER": os.environ["DB_USER"],
        "PASSWORD": os.environ["DB_PASSWORD"],
        "CONN_MAX_AGE": 60,
    }
}

# Redis: the task broker of every cluster, and a cache all web processes share (rate
# limits count per session and IP across the whole site).
REDIS_URL = os.environ["REDIS_URL"]
Q_CLUSTER = {
    "name": "shop",
    "redis": REDIS_URL,
    "workers": 4,
    "timeout": 240,
    "retry": 300,
    "catch_up": False,
}
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
}

# S3 (or any S3-compatible service) through django-storages: a private bucket for try-ons.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "tryon": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["TRYON_BUCKET"],
            "region_name": os.environ.get("AWS_S3_REGION_NAME"),
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL"),  # other S3 services
            "default_acl": "private",
            "querystring_auth": True,  # url() is a short-lived signed URL
            "querystring_expire": 300,  # seconds
            "file_overwrite": False,
        },
    },
}
TRYON = {
    # One private bucket for both: the merchant's pictures and every job's files.
    "STORAGE": "tryon",
    "PRIVATE_STORAGE": "tryon",
    "CLIENT_IP_HEADER": "X-Forwarded-For",  # only behind your own proxy
    "DAILY_CREDIT_BUDGET": 20000,
    "SHOPPER_DAILY_CREDIT_BUDGET": 5000,
}
