import os

TRYON = {
    "DEFAULT_PROVIDER": "magichour",
    "PROVIDERS": {
        "magichour": {
            "BACKEND": "django_tryon.providers.magichour.MagicHourProvider",
            "API_KEY": os.environ["MAGICHOUR_API_KEY"],
            # Optional: Magic Hour's webhooks then replace most of the polling.
            "WEBHOOK_SECRET": os.environ.get("MAGICHOUR_WEBHOOK_SECRET", ""),
            "MAX_CONCURRENT": 3,  # your plan's limit (Creator 3, Pro 5)
        },
    },
}
