import os

TRYON = {
    "DEFAULT_PROVIDER": "vertex",
    "PROVIDERS": {
        "vertex": {
            "BACKEND": "django_tryon.providers.vertex.VertexProvider",
            "PROJECT": os.environ["GOOGLE_CLOUD_PROJECT"],
            "REGION": "us-central1",
            # A service account key file; leave it empty for Application Default Credentials.
            "CREDENTIALS_FILE": os.environ.get("VERTEX_CREDENTIALS_FILE", ""),
            "PERSON_GENERATION": "allow_adult",
            "SAFETY_SETTING": "block_medium_and_above",
            "COST": 1,  # your price per picture, in the unit of your budgets
        },
    },
}
