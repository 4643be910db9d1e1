# The [vertex] extra brings google-auth, for Google credentials.
python -m pip install -e "path/to/django-tryon[vertex]"
