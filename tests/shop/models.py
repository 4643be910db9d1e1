"""A stand-in for a host shop's own product model (not ours to change)."""

from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=100)
    is_published = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"/products/{self.pk}/"


class Style(models.Model):
    """A product with variants (a ``parent`` of its own model), like many shops have."""

    title = models.CharField(max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.title
