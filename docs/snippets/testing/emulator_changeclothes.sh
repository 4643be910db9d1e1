python manage.py tryon_emulator changeclothes --port 8702
