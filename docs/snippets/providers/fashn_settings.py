import os

TRYON = {
    "DEFAULT_PROVIDER": "fashn",
    "PROVIDERS": {
        "fashn": {
            "BACKEND": "django_tryon.providers.fashn.FashnProvider",
            "API_KEY": os.environ["FASHN_API_KEY"],
            # FASHN's inputs for every job of this alias (a job's options override them).
            "INPUTS": {"mode": "balanced", "garment_photo_type": "auto"},
            "MAX_CONCURRENT": 6,  # FASHN's default limit of predictions at once
            # Optional: callbacks make the shop poll at once instead of on its schedule.
            "WEBHOOK_URL": "https://shop.example/tryon/webhooks/fashn/fashn/",
            "WEBHOOK_TOKEN": os.environ.get("FASHN_WEBHOOK_TOKEN", ""),
        },
    },
}
