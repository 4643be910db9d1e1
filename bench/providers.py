"""Providers for benchmarks: the sandbox's lifecycle without its Pillow rendering.

``FixedLatencyProvider`` finishes after ``LATENCY`` seconds (0: at once) and returns a
small prepared JPEG, so a benchmark measures the pipeline, not image drawing.
"""

import io
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import IO

from PIL import Image

from django_tryon.providers.base import ProviderJob, TryOnRequest
from django_tryon.providers.sandbox import SandboxProvider


@cache
def _result() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), (90, 120, 200)).save(out, "JPEG")
    return out.getvalue()


class FixedLatencyProvider(SandboxProvider):
    display_name = "Benchmark provider"

    @contextmanager
    def open_result(self, job: ProviderJob, request: TryOnRequest) -> Iterator[IO[bytes]]:
        yield io.BytesIO(_result())
