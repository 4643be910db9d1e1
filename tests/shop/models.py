"""A stand-in for a host shop's own product model (not ours to change)."""

from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=100)
    is_published = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"/products/{self.pk}/"
