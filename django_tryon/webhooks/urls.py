"""Webhook routes: ``<alias>/``, Magic Hour's documented ``magichour/<alias>/``, FASHN's
``fashn/<alias>/``."""

from django.urls import path

from .views import fashn_webhook, provider_webhook

urlpatterns = [
    path("magichour/<str:alias>/", provider_webhook, name="magichour_webhook"),
    path("fashn/<str:alias>/", fashn_webhook, name="fashn_webhook"),
    path("<str:alias>/", provider_webhook, name="provider_webhook"),
]
