# The admin.py of one of your apps, listed after the app that registers the product admin.
from catalog.models import Product

from django_tryon.admin import add_tryon_to_admin

add_tryon_to_admin(Product)
