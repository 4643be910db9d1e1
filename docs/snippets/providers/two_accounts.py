import os

MAGIC_HOUR = "django_tryon.providers.magichour.MagicHourProvider"

TRYON = {
    "DEFAULT_PROVIDER": "shoppers",
    "PROVIDERS": {
        # Shoppers' try-ons on one account, the merchant's catalogue runs on another:
        # separate credits, separate concurrency limits, separate pauses.
        "shoppers": {
            "BACKEND": MAGIC_HOUR,
            "API_KEY": os.environ["MAGICHOUR_SHOP_KEY"],
            "MAX_CONCURRENT": 3,
        },
        "catalogue": {
            "BACKEND": MAGIC_HOUR,
            "API_KEY": os.environ["MAGICHOUR_CATALOGUE_KEY"],
            "MAX_CONCURRENT": 5,
            "DELETE_AFTER_DOWNLOAD": True,
        },
    },
}
