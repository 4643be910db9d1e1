python manage.py migrate
python manage.py check
