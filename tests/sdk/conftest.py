"""The official SDKs against our emulators: the emulator fixtures of ``django_tryon.testing``."""

from django_tryon.testing.fixtures import (  # noqa: F401
    changeclothes_emulator,
    fashn_emulator,
    magichour_emulator,
)
