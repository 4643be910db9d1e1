from django_tryon.testing.fixtures import changeclothes_emulator, magichour_emulator  # noqa: F401
from tests.providers.fixtures import cc, mh  # noqa: F401
