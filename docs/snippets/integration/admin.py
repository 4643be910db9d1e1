from django.contrib import admin

from django_tryon.admin import TryOnProductAdminMixin

from .models import Product


@admin.register(Product)
class ProductAdmin(TryOnProductAdminMixin, admin.ModelAdmin):
    list_display = ["name"]  # your columns; the mixin adds "try-ons"
