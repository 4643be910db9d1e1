"""Schemathesis hooks for ``test_fuzz.py`` (loaded by the CLI through ``SCHEMATHESIS_HOOKS``).

They let generated requests reach what the server holds (``TRYON_FUZZ_SHOP``, JSON, written
by the test) instead of stopping at "not found" and "not an image":

- a job token the schema allows is sometimes swapped for a seeded job's token (a token the
  schema doesn't allow is left alone: it is a negative case and must stay one);
- a photo drawn in positive mode is a real JPEG half the time (random bytes otherwise).

The seeded garment has id 1, the schema's lowest, which generation tries first.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import strategies as st

SHOP: dict[str, Any] = json.loads(os.environ.get("TRYON_FUZZ_SHOP", "{}"))
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,32}$")

if SHOP:
    photo = Path(SHOP["photo"]).read_bytes()
    schemathesis.openapi.media_type("image/jpeg", st.one_of(st.just(photo), st.binary()))


@schemathesis.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    known = SHOP.get("tokens", {}).get(context.operation.label, [])
    token = (path_parameters or {}).get("token")
    if not known or not isinstance(token, str) or not TOKEN.match(token):
        return st.just(path_parameters)
    return st.sampled_from([token, *known]).map(lambda t: {**path_parameters, "token": t})
