# On each worker host, as a service (systemd, a container, a Procfile line):
python manage.py qcluster
# After each deploy, from any one host: are keys, storage and some cluster working?
python manage.py tryon_check --cluster-wait 30
