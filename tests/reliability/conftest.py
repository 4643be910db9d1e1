"""Fixtures of the reliability suite: the provider emulators (shipped in django_tryon.testing)."""

from django_tryon.testing.fixtures import (  # noqa: F401
    changeclothes_emulator,
    fashn_emulator,
    magichour_emulator,
    vertex_emulator,
)
from tests.reliability.figures import pytest_terminal_summary  # noqa: F401
