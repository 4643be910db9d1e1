INSTALLED_APPS += [
    "django_q",  # django-q2: the task queue that runs the try-ons
    "django_tryon",
]
