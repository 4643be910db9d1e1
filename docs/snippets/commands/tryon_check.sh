# Everything: every alias's credentials, the storage, the cluster.
python manage.py tryon_check
# One alias, no cluster round trip (e.g. from a deploy script before the cluster starts).
python manage.py tryon_check magichour --no-cluster
# After topping up credits or fixing the key: resume the paused alias if its check passes.
python manage.py tryon_check magichour --no-cluster --resume
