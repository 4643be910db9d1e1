python manage.py tryon_cleanup --dry-run
python manage.py tryon_cleanup
