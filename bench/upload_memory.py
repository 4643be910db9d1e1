"""Peak memory of the web process while it checks ten uploads at once: hostile vs ordinary.

A real server (gunicorn, one worker process with 16 threads, so one process's memory
is measured) receives ten shopper uploads at the same moment, three times, each time on
a fresh server warmed up by one small upload:

- ``jpeg``: ten ordinary 12-megapixel JPEGs (4000x3000) - the baseline;
- ``deep_png``: ten of the issue's hostile PNGs, 6300x6300 16-bit RGBA, about 1 MB on
  disk and 159 MB decoded;
- ``black_png``: ten 4000x4000 16-bit all-black PNGs (~190 KB, 64 MB decoded: just
  within MAX_DECODED_BYTES, so they are decoded and refused as uniform).

The rise of each is the worker's peak RSS (``VmHWM``, reset through ``clear_refs``)
minus its RSS before the burst. The RESULT is the larger hostile rise against the JPEG
rise (target: at most 4x).

    .venv/bin/python bench/upload_memory.py
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import files_storage, report, setup_django

UPLOADS = 10  # at once, of each kind (--uploads)


def _kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _worker_pid(master: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == master:
                    return int(entry.name)
        time.sleep(0.1)
    raise RuntimeError("no gunicorn worker")


def upload(base: str, garment: int, photo: bytes, name: str) -> int:
    import requests
    from django.middleware.csrf import _get_new_csrf_string

    csrf = _get_new_csrf_string()
    session = requests.Session()
    session.cookies.set("csrftoken", csrf)
    response = session.post(
        f"{base}/tryon/jobs/",
        data={"garment": garment, "consent": "1"},
        files={"photo": (name, photo)},
        headers={"X-CSRFToken": csrf},
        timeout=300,
    )
    return response.status_code


def burst(
    env: dict[str, str], garment: int, photo: bytes, name: str, warm: bytes
) -> dict[str, Any]:
    """Peak RSS rise (MB) of a fresh worker for UPLOADS parallel uploads of ``photo``."""
    from tests.server import gunicorn, stop

    server, base = gunicorn(env, workers=1, threads=16)
    try:
        worker = _worker_pid(server.pid)
        assert upload(base, garment, warm, "warm.jpg") == 201
        time.sleep(0.5)
        Path(f"/proc/{worker}/clear_refs").write_text("5")  # VmHWM := VmRSS now
        before = _kb(worker, "VmRSS")
        statuses: list[int] = []
        started = time.monotonic()
        threads = [
            threading.Thread(target=lambda: statuses.append(upload(base, garment, photo, name)))
            for _ in range(UPLOADS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.monotonic() - started
        peak = _kb(worker, "VmHWM")
    finally:
        stop(server)
    return {
        "rise_mb": (peak - before) / 1024,
        "before_mb": before / 1024,
        "seconds": seconds,
        "statuses": sorted(statuses),
    }


def main() -> None:
    global UPLOADS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=UPLOADS, help="uploads at once, each kind")
    UPLOADS = parser.parse_args().uploads
    setup_django()
    from django.db import connection

    from tests.api.badfiles import deep_png
    from tests.fixtures import create_garment, make_image
    from tests.shop.models import Product

    storage = files_storage("upload_memory")
    garment = create_garment(Product.objects.create(name="Shirt"))
    garment.image_sha256()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "TRYON_DB_NAME": str(connection.settings_dict["NAME"]),
        "TRYON_DEFAULT_STORAGE": json.dumps(storage),
        # Every upload waits its turn (no "busy" answers): ten are decoded of each kind.
        "TRYON_OVERRIDES": json.dumps({"RATE_LIMITS": {}, "DECODE_WAIT": 120}),
    }
    connection.close()
    kinds = {
        "jpeg": (make_image((4000, 3000)), "photo.jpg"),
        "deep_png": (deep_png(6300, 6300), "deep.png"),
        "black_png": (deep_png(4000, 4000, black=True), "black.png"),
    }
    warm = make_image((640, 800))
    figures = {}
    for kind, (photo, name) in kinds.items():
        figures[kind] = burst(env, garment.pk, photo, name, warm)
        figures[kind]["file_kb"] = len(photo) // 1024
        print(kind, json.dumps(figures[kind]))
    hostile = max(figures["deep_png"]["rise_mb"], figures["black_png"]["rise_mb"])
    note = "; ".join(
        f"{kind} {f['file_kb']} KB x{UPLOADS}: +{f['rise_mb']:.0f} MB in {f['seconds']:.1f} s "
        f"(answers {','.join(str(s) for s in sorted(set(f['statuses'])))})"
        for kind, f in figures.items()
    )
    settings_note = (
        "defaults (MAX_DECODED_BYTES 64 MiB, MAX_CONCURRENT_DECODES 2), DECODE_WAIT 120, "
        "gunicorn 1 worker x 16 threads, peak RSS rise of the worker"
    )
    report(
        "upload_memory",
        hostile,
        figures["jpeg"]["rise_mb"],
        f"MB peak RSS rise, {UPLOADS} hostile PNGs vs {UPLOADS} 12-MP JPEGs",
        f"{note}; {settings_note}; target ratio <= 4",
    )


if __name__ == "__main__":
    main()
