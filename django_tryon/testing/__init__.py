"""What a shop needs to test its try-on integration offline.

Emulators of each provider's HTTP API that run on loopback (``MagicHourEmulator``,
``ChangeClothesEmulator``, ``VertexEmulator``), and pytest fixtures starting them
(``pytest_plugins = ["django_tryon.testing.fixtures"]``).
"""

from .emulators import ChangeClothesEmulator, MagicHourEmulator, VertexEmulator

__all__ = ["ChangeClothesEmulator", "MagicHourEmulator", "VertexEmulator"]
