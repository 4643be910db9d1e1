TRYON = {
    "DEFAULT_PROVIDER": "sandbox",
    "PROVIDERS": {
        "sandbox": {
            "BACKEND": "django_tryon.providers.sandbox.SandboxProvider",
            "LATENCY": 4.0,  # seconds a job takes
        },
        # A second alias that always fails, e.g. to rehearse the error screens.
        "sandbox-no-person": {
            "BACKEND": "django_tryon.providers.sandbox.SandboxProvider",
            "OUTCOME": "no_person",
        },
    },
}
