TRYON = {
    "DEFAULT_PROVIDER": "sandbox",
    # Oscar product classes (by slug) to the garment category their products imply.
    "OSCAR_PRODUCT_CLASS_CATEGORIES": {"shirts": "upper_body", "trousers": "lower_body"},
}
Q_CLUSTER = {"name": "shop", "orm": "default", "workers": 2, "timeout": 60, "retry": 90}
