"""Fixtures of the admin tests: a small shop (staff users: ``staff_client`` in tests.fixtures)."""

from __future__ import annotations

from typing import Any

import pytest

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
