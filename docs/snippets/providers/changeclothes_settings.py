import os

TRYON = {
    "DEFAULT_PROVIDER": "changeclothes",
    "PROVIDERS": {
        "changeclothes": {
            "BACKEND": "django_tryon.providers.changeclothes.ChangeClothesProvider",
            "API_KEY": os.environ["CHANGECLOTHES_API_KEY"],
            "COST": 1,  # your plan's price per picture (not documented by the API)
        },
    },
    "PROMPT_MODE": True,  # shoppers may describe a garment in words
}
