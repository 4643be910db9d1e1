pip install "django-tryon[oscar]"
