TRYON = {
    "DEFAULT_PROVIDER": "mirror",
    "PROVIDERS": {
        # The backend may live in your own code: any importable dotted path.
        "mirror": {"BACKEND": "myshop.tryon_providers.MirrorProvider"},
    },
}
