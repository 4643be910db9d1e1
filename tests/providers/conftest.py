from django_tryon.testing.fixtures import (  # noqa: F401
    changeclothes_emulator,
    fashn_emulator,
    magichour_emulator,
    vertex_emulator,
)
from tests.providers.fixtures import cc, fa, mh, vtx  # noqa: F401
