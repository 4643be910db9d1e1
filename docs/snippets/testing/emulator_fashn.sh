python manage.py tryon_emulator fashn --port 8703
