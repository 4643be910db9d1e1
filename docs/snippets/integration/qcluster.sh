python manage.py qcluster
