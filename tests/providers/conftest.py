from django_tryon.testing.fixtures import (  # noqa: F401
    changeclothes_emulator,
    magichour_emulator,
    vertex_emulator,
)
from tests.providers.fixtures import cc, mh, vtx  # noqa: F401
