import os

TRYON = {
    "DEFAULT_PROVIDER": "magichour",
    "PROVIDERS": {
        "magichour": {
            "BACKEND": "django_tryon.providers.magichour.MagicHourProvider",
            "API_KEY": os.environ["MAGICHOUR_API_KEY"],
            "MAX_CONCURRENT": 5,
            # After an account error (bad key, no credits) or MAX_TRANSIENT_ERRORS in a
            # row, the job moves to this alias instead of waiting or failing.
            "FALLBACK": "changeclothes",
        },
        "changeclothes": {
            "BACKEND": "django_tryon.providers.changeclothes.ChangeClothesProvider",
            "API_KEY": os.environ["CHANGECLOTHES_API_KEY"],
        },
    },
}
