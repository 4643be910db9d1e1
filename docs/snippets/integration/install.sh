# django-tryon is not on PyPI yet: install it from a checkout of its repository.
python -m pip install -e path/to/django-tryon
# Extras: [s3] S3 storage through django-storages, [redis] django-q2 on Redis,
# [testing] the provider emulators for your own tests.
python -m pip install -e "path/to/django-tryon[s3,redis,testing]"
