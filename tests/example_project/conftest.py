from django_tryon.testing.fixtures import (  # noqa: F401
    changeclothes_emulator,
    fashn_emulator,
    magichour_emulator,
)
