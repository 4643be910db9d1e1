from django.contrib import admin

from django_tryon.admin import TryOnProductAdminMixin

from .models import Product


@admin.register(Product)
class ProductAdmin(TryOnProductAdminMixin, admin.ModelAdmin):
    list_display = ["name", "price", "is_published", "created_at"]
    list_filter = ["is_published"]
    list_editable = ["is_published"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
