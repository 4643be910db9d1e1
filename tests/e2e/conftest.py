"""Browser tests: Debian's Chromium driven by Playwright, against a live server and a real qcluster.

Every test here is marked ``browser``. ``site`` gives a running shop: the live server
(this process, transactional test database) plus a ``qcluster`` subprocess on the same
database and storage, with the sandbox provider. Screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.availability import require_chromium

# Playwright's sync API runs an event loop in the test thread, which makes Django refuse
# ORM calls there; the calls the tests make are plain synchronous ones all the same.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    # Playwright's own browser download can't work here: use the system's Chromium.
    return {
        **browser_type_launch_args,
        "executable_path": require_chromium(),
        "args": CHROMIUM_FLAGS,
    }


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def site(qcluster: Any, live_server: Any) -> SimpleNamespace:
    """A live shop with a cluster behind it; the sandbox answers in about a second."""
    cluster = qcluster(
        tryon={
            "PROVIDERS": {
                "sandbox": {
                    "BACKEND": "django_tryon.providers.sandbox.SandboxProvider",
                    "LATENCY": 1.0,
                }
            }
        }
    )
    return SimpleNamespace(url=live_server.url, cluster=cluster)
