"""Fixtures: the emulators (``django_tryon.testing.fixtures``) with aliases pointed at them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.providers.support import cc_alias, fa_alias, mh_alias, tryon, vertex_alias


@pytest.fixture
def mh(magichour_emulator: Any, settings: Any) -> Any:
    """The Magic Hour emulator, and the default alias ``magichour`` pointed at it."""
    settings.TRYON = tryon({"magichour": mh_alias(magichour_emulator)}, "magichour")
    return magichour_emulator


@pytest.fixture
def cc(changeclothes_emulator: Any, settings: Any) -> Any:
    """The Change Clothes emulator, and the default alias ``changeclothes`` pointed at it."""
    settings.TRYON = tryon({"changeclothes": cc_alias(changeclothes_emulator)}, "changeclothes")
    return changeclothes_emulator


@pytest.fixture
def fa(fashn_emulator: Any, settings: Any) -> Any:
    """The FASHN emulator, and the default alias ``fashn`` pointed at it."""
    settings.TRYON = tryon({"fashn": fa_alias(fashn_emulator)}, "fashn")
    return fashn_emulator


@pytest.fixture
def vtx(vertex_emulator: Any, settings: Any) -> Any:
    """The Vertex emulator, and the default alias ``vertex`` pointed at it."""
    settings.TRYON = tryon({"vertex": vertex_alias(vertex_emulator)}, "vertex")
    return vertex_emulator
