"""Peak memory while a 20 MB result is streamed from a provider into storage.

Two fresh interpreters run the very same download-and-store path (the HTTP provider
base's ``download`` into ``save_stream``, as ``pipeline.steps.fetch`` does): one for a 20 MB
image, one for a 1 KB image. Their peak RSS are compared: streaming should cost a few
MB, not the size of the file.

    .venv/bin/python bench/result_memory.py --mb 20
"""

import argparse
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, report


def make_png(path: Path, megabytes: float) -> None:
    """A real PNG of random pixels (incompressible), about ``megabytes`` in size."""
    from PIL import Image

    side = int((megabytes * 2**20 / 3) ** 0.5)
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(
        path, "PNG", compress_level=1
    )


def child(url: str, location: str) -> None:
    """Download ``url`` into a folder storage; print the peak RSS in MB."""
    import django

    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    django.setup()
    from django.conf import settings

    from django_tryon.providers.http import HttpProvider
    from django_tryon.storage import save_stream

    settings.STORAGES = {
        **settings.STORAGES,
        "tryon_private": {  # where results are streamed
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location},
        },
    }
    settings.TRYON = {**settings.TRYON, "MAX_RESULT_BYTES": 64 * 2**20}
    provider = HttpProvider("bench", ALLOW_PRIVATE_URLS=True)
    with provider.download(url) as stream:
        name = save_stream("results", "png", stream)
    stored = Path(location, name).stat().st_size
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{stored} {peak_mb:.2f}")


def measure(url: str, location: str) -> tuple[int, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", url, location],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).stdout.split()
    return int(out[-2]), float(out[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20)
    parser.add_argument("--child", nargs=2, metavar=("URL", "LOCATION"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    with tempfile.TemporaryDirectory() as served, tempfile.TemporaryDirectory() as stored:
        make_png(Path(served, "big.png"), args.mb)
        small = io.BytesIO()
        from PIL import Image

        Image.new("RGB", (16, 16)).save(small, "PNG")
        Path(served, "small.png").write_bytes(small.getvalue())
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "http.server",
                "0",
                "--bind",
                "127.0.0.1",
                "--directory",
                served,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            line = server.stdout.readline()  # "Serving HTTP on 127.0.0.1 port N ..."
            port = int(line.split(" port ")[1].split()[0])
            time.sleep(0.2)
            base = f"http://127.0.0.1:{port}"
            size_small, baseline = measure(f"{base}/small.png", stored)
            size_big, value = measure(f"{base}/big.png", stored)
        finally:
            server.terminate()
    print(
        f"stored {size_big / 2**20:.1f} MB with peak RSS {value:.1f} MB; "
        f"{size_small} bytes with {baseline:.1f} MB: +{value - baseline:.1f} MB"
    )
    report(
        "result_memory",
        value,
        baseline,
        "peak RSS in MB, 20 MB result vs 1 KB result",
        f"+{value - baseline:.1f} MB for a {size_big / 2**20:.1f} MB result",
    )


if __name__ == "__main__":
    main()
