python manage.py tryon_emulator magichour --port 8701
