"""Fixtures of the reliability suite: the provider emulators (shipped in django_tryon.testing)."""

from django_tryon.testing.fixtures import changeclothes_emulator, magichour_emulator  # noqa: F401
from tests.reliability.figures import pytest_terminal_summary  # noqa: F401
