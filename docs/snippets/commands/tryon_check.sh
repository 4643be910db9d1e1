# Everything: every alias's credentials, the storage, the cluster.
python manage.py tryon_check
# One alias, no cluster round trip (e.g. from a deploy script before the cluster starts).
python manage.py tryon_check magichour --no-cluster
