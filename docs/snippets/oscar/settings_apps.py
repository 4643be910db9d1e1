INSTALLED_APPS += [  # after Oscar's apps
    "django_q",
    "django_tryon",
    "django_tryon.contrib.oscar",
]
