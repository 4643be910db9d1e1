python manage.py tryon_emulator vertex --port 8703
