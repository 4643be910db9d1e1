# Your project's root conftest.py: the emulator fixtures of django-tryon.
pytest_plugins = ["django_tryon.testing.fixtures"]
