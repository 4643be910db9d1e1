from django.contrib import admin

from django_tryon.admin import TryOnProductAdminMixin

from .models import Order, OrderLine, Product


@admin.register(Product)
class ProductAdmin(TryOnProductAdminMixin, admin.ModelAdmin):
    list_display = ["name", "price", "is_published", "created_at"]
    list_filter = ["is_published"]
    list_editable = ["is_published"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    readonly_fields = ["product", "name", "quantity", "unit_price"]
    can_delete = False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "email", "total", "created_at"]
    readonly_fields = ["number", "name", "email", "total", "created_at"]
    inlines = [OrderLineInline]
    search_fields = ["number", "name", "email"]
