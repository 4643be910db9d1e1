MEDIA_ROOT = BASE_DIR / "media"  # the merchant's pictures: garments, model photos
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Shoppers' photos and every try-on result, outside MEDIA_ROOT: no URL serves them,
    # the app streams each picture to whoever may see it (a public one: tryon.E013).
    "tryon_private": {
        "BACKEND": "django_tryon.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": BASE_DIR / "tryon-private"},
    },
}
