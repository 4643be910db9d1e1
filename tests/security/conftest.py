"""Fixtures of the security suite, and the hypothesis profiles of the hostile-input tests.

Profiles (``HYPOTHESIS_PROFILE``): ``ci`` (the default, used by ``make test`` and CI:
``HOSTILE_EXAMPLES`` examples per property, so each pass of the suite stays within
seconds) and ``thorough`` (2,000 per property, for a long local run).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches
from hypothesis import HealthCheck, settings

from django_tryon.storage import private_storage
from django_tryon.testing.fixtures import changeclothes_emulator, magichour_emulator  # noqa: F401

# A shopper's browser (CSRF cookie and header), as the API tests use it.
from tests.api.conftest import CREATE_URL  # noqa: F401
from tests.api.conftest import Shopper as Browser
from tests.providers.fixtures import cc, mh  # noqa: F401
from tests.reliability.figures import pytest_terminal_summary  # noqa: F401

HOSTILE_EXAMPLES = 100
_common = {
    "deadline": None,  # Pillow's first decode of a format is slow; time is bounded per test
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,  # each example cleans up after itself
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    "print_blob": True,
}
settings.register_profile("ci", max_examples=HOSTILE_EXAMPLES, derandomize=True, **_common)
settings.register_profile("thorough", max_examples=2000, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _fresh_storage_and_cache(settings: Any) -> Iterator[None]:
    settings.STORAGES = {**settings.STORAGES}  # a new in-memory storage for each test
    caches["default"].clear()
    yield
    caches["default"].clear()


@pytest.fixture
def shopper_browser() -> Browser:
    return Browser()


def stored(folder: str = "tryon") -> list[str]:
    """Every file under ``folder`` in the private storage (where shoppers' files go)."""
    storage = private_storage()
    try:
        dirs, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    return [f"{folder}/{f}" for f in files] + [n for d in dirs for n in stored(f"{folder}/{d}")]
