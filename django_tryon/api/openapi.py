"""The shopper API's OpenAPI 3.1 document (``openapi.json`` beside this module).

The file is the contract: tests validate it, compare it with the URLconf, and fuzz a live
server against it. It is served as it ships, except ``servers``, which names the prefix
this installation included ``django_tryon.urls`` under.
"""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from typing import Any

from django.urls import reverse

FILENAME = "openapi.json"


@functools.cache
def _shipped() -> dict[str, Any]:
    text = resources.files(__package__).joinpath(FILENAME).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def document() -> dict[str, Any]:
    """The document as shipped (a copy: callers may change it)."""
    return copy.deepcopy(_shipped())


def served_document() -> dict[str, Any]:
    """The document with ``servers`` set to where this installation serves the API."""
    served = document()
    url = reverse("django_tryon:openapi")
    prefix = url[: -len(FILENAME)].rstrip("/")
    served["servers"] = [{"url": prefix, "description": "This shop's try-on API."}]
    return served
