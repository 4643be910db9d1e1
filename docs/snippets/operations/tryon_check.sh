python manage.py tryon_check
