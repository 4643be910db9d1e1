STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # django-tryon's files (shoppers' photos among them) outside MEDIA_ROOT, so that no
    # web server ever serves them: the app streams each picture to whoever may see it.
    "tryon": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": BASE_DIR / "private-media"},
    },
}
