"""Webhook routes: ``<alias>/``, and Magic Hour's documented ``magichour/<alias>/``."""

from django.urls import path

from .views import provider_webhook

urlpatterns = [
    path("magichour/<str:alias>/", provider_webhook, name="magichour_webhook"),
    path("<str:alias>/", provider_webhook, name="provider_webhook"),
]
