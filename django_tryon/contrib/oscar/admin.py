"""Oscar registers its own ``ProductAdmin``; try-on is added to it (Oscar's merchants work in
the dashboard, but a shop that uses the Django admin too finds try-on there as well)."""

from django.apps import apps

from ...admin import add_tryon_to_admin
from .adapter import product_model

if apps.is_installed("django.contrib.admin"):
    add_tryon_to_admin(product_model())
