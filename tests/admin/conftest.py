"""Fixtures of the admin tests: a small shop, and staff users with chosen permissions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from django_tryon.testing.fixtures import fashn_emulator, magichour_emulator  # noqa: F401

from .support import TWO_PROVIDERS, add_photo, add_product


@pytest.fixture
def shop(db, settings) -> dict[str, Any]:
    """Three products (two shirts, one skirt), one product without garment, two photos."""
    settings.TRYON = TWO_PROVIDERS
    shirts = [add_product("Oxford Shirt", colour=0), add_product("Linen Shirt", colour=1)]
    skirt = add_product("Pleated Skirt", category="lower_body", colour=2)
    bare = add_product("Gift Card", category=None)
    alex = add_photo("Alex", colour=3)
    sam = add_photo("Sam", "upper_body", colour=4)
    return {"shirts": shirts, "skirt": skirt, "bare": bare, "alex": alex, "sam": sam}


@pytest.fixture
def staff_client(db) -> Callable[..., Client]:
    """``staff_client("django_tryon.view_tryonjob", ...)``: a logged-in staff user with those perms."""

    def make(*perms: str) -> Client:
        user = User.objects.create_user(f"staff{User.objects.count()}", password="x", is_staff=True)
        for perm in perms:
            app_label, codename = perm.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        client = Client()
        client.force_login(user)
        return client

    return make
