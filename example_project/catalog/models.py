"""The shop's own models: products (django-tryon attaches garments to them without touching
them) and the orders of its one-page checkout."""

import secrets
from decimal import Decimal

from django.db import models
from django.urls import reverse


class ProductQuerySet(models.QuerySet["Product"]):
    def published(self) -> "ProductQuerySet":
        return self.filter(is_published=True)


class Product(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    description = models.TextField(blank=True)
    is_published = models.BooleanField("published", default=True)
    image = models.ImageField(upload_to="products/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:product_detail", args=[self.slug])


def order_number() -> str:
    return "TT-" + secrets.token_hex(4).upper()


class Order(models.Model):
    """An order placed at the one-page checkout (no payment: this is a demo shop)."""

    number = models.CharField(max_length=20, unique=True, default=order_number, editable=False)
    name = models.CharField(max_length=200)
    email = models.EmailField()
    total = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True)
    name = models.CharField(max_length=200)  # as it was called when ordered
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity
