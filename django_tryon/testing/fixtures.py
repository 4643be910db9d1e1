"""Pytest fixtures: a fresh provider emulator for each test.

Enable them in your root ``conftest.py``::

    pytest_plugins = ["django_tryon.testing.fixtures"]

and point the provider alias at the emulator::

    def test_tryon(magichour_emulator, settings):
        settings.TRYON = {
            "PROVIDERS": {
                "magichour": {
                    "BACKEND": "django_tryon.providers.magichour.MagicHourProvider",
                    "API_KEY": magichour_emulator.api_key,
                    "BASE_URL": magichour_emulator.base_url,
                    "ALLOW_PRIVATE_URLS": True,  # the emulator is on 127.0.0.1
                }
            }
        }

A test fails at teardown when the emulator recorded a contract violation (a request the
real service would refuse), even if the code under test handled the error answer. A test
that sends a bad request on purpose clears ``emulator.violations`` before it ends.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .emulators import (
    ChangeClothesEmulator,
    Emulator,
    FashnEmulator,
    MagicHourEmulator,
    VertexEmulator,
)


def _check(emulator: Emulator) -> None:
    if emulator.violations:
        listing = "\n".join(f"  - {violation}" for violation in emulator.violations)
        pytest.fail(
            f"The {emulator.name} emulator saw requests the real API would refuse:\n{listing}"
        )


@pytest.fixture
def magichour_emulator() -> Iterator[MagicHourEmulator]:
    """A running ``MagicHourEmulator`` (API key ``mh-test-key``, no latency)."""
    with MagicHourEmulator() as emulator:
        yield emulator
    _check(emulator)


@pytest.fixture
def changeclothes_emulator() -> Iterator[ChangeClothesEmulator]:
    """A running ``ChangeClothesEmulator`` (API key ``cc-test-key``, no latency)."""
    with ChangeClothesEmulator() as emulator:
        yield emulator
    _check(emulator)


@pytest.fixture
def fashn_emulator() -> Iterator[FashnEmulator]:
    """A running ``FashnEmulator`` (API key ``fa-test-key``, no latency)."""
    with FashnEmulator() as emulator:
        yield emulator
    _check(emulator)


@pytest.fixture
def vertex_emulator() -> Iterator[VertexEmulator]:
    """A running ``VertexEmulator`` (project ``tryon-test``, access token ``vertex-test-token``,
    a token endpoint at ``token_uri`` for service-account credentials, no latency)."""
    with VertexEmulator() as emulator:
        yield emulator
    _check(emulator)
