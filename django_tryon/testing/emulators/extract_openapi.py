"""Regenerate ``magichour_openapi.json``, the part of Magic Hour's OpenAPI spec we emulate.

    python -m django_tryon.testing.emulators.extract_openapi \\
        path/to/api-reference/openapi.json path/to/webhook-reference/openapi.json

Both inputs come from the public repository magichourhq/docs. The output keeps the
operations we call (with any components they reference), the bearer security scheme, and,
under ``x-webhooks``, the three image events from the webhook spec. Code samples are
dropped; descriptions stay, since they document the rules the emulator enforces.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SOURCE = {
    "repository": "magichourhq/docs",
    "commit": "f5df0c5",
    "files": ["api-reference/openapi.json", "webhook-reference/openapi.json"],
    "generated_by": "django_tryon/testing/emulators/extract_openapi.py",
}
OPERATIONS = {
    "/v1/files/upload-urls": ("post",),
    "/v1/ai-clothes-changer": ("post",),
    "/v1/image-projects/{id}": ("get", "delete"),
}
WEBHOOK_EVENTS = ("image.started", "image.completed", "image.errored")
OUTPUT = Path(__file__).with_name("magichour_openapi.json")


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _operation(operation: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in operation.items() if key != "x-codeSamples"}


def extract(spec: dict[str, Any], webhooks: dict[str, Any]) -> dict[str, Any]:
    paths = {
        path: {method: _operation(spec["paths"][path][method]) for method in methods}
        for path, methods in OPERATIONS.items()
    }
    events = {event: _operation(webhooks["paths"][f"/{event}"]["post"]) for event in WEBHOOK_EVENTS}

    # Security schemes are named by the operations' requirements, not by $ref.
    schemes = {
        name
        for operations in paths.values()
        for operation in operations.values()
        for requirement in operation.get("security", [])
        for name in requirement
    }
    components: dict[str, dict[str, Any]] = {
        "securitySchemes": {name: spec["components"]["securitySchemes"][name] for name in schemes}
    }
    # Copy every component reachable through "#/components/<kind>/<name>" references.
    pending = list(_refs([paths, events]))
    while pending:
        _, _, kind, name = pending.pop().split("/", 3)
        if name not in components.setdefault(kind, {}):
            components[kind][name] = spec["components"][kind][name]
            pending.extend(_refs(components[kind][name]))

    return {
        "x-source": SOURCE,
        "openapi": spec["openapi"],
        "info": {"title": spec["info"]["title"], "version": spec["info"]["version"]},
        "servers": spec["servers"],
        "paths": paths,
        "components": components,
        "x-webhooks": events,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path, help="Magic Hour's api-reference/openapi.json")
    parser.add_argument("webhooks", type=Path, help="Magic Hour's webhook-reference/openapi.json")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    subset = extract(
        json.loads(args.spec.read_text(encoding="utf-8")),
        json.loads(args.webhooks.read_text(encoding="utf-8")),
    )
    args.output.write_text(
        json.dumps(subset, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
