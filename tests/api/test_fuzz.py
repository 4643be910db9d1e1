"""Schemathesis against a live server: every answer is documented, none is a 5xx.

A real gunicorn process serves the test settings (``DEBUG`` off, the sandbox provider,
prompts allowed, no rate limits so that requests get past them) on 127.0.0.1, on the
test database, with files in a temporary folder. The schema is the one the server itself
serves at ``tryon/openapi.json``. The schemathesis CLI runs the examples, coverage and
fuzzing phases on each operation (positive and negative data, bounded by ``EXAMPLES``),
then the stateful phase, which follows the document's links; one string in ten comes
from a dictionary of hostile values (``schemathesis.toml``).

To reach more than "not found", the server holds what a shop would: a garment (id 1), a
featured merchant result, and jobs of one shopper whose session the fuzzer uses, with a
CSRF cookie and header. ``fuzz_hooks.py`` draws path tokens from the generated ones and
the seeded ones, and gives positive creates a real photo half the time.

The requests the server answered are counted from its access log (the figure in
docs/reliability.md), and the log is searched for 5xx independently of the checks.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.files.base import ContentFile
from django.utils import timezone

from django_tryon.models import ModelPhoto, ShopperPhoto, Source, Status, TryOnJob
from django_tryon.services.owners import OWNER_SESSION_KEY, owner_of
from django_tryon.storage import private_storage
from tests.cluster import shared_storage, subprocess_env
from tests.fixtures import create_garment, make_image
from tests.reliability.figures import record

pytestmark = pytest.mark.fuzz

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
# Per operation; with the coverage and stateful phases, a run is about 400 requests.
EXAMPLES = int(os.environ.get("TRYON_FUZZ_EXAMPLES", "40"))
# "Every answer is documented, none is a 5xx", and negative data is refused. Not
# positive_data_acceptance: a schema-valid photo (any bytes) is refused by content, by design.
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "unsupported_method",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
]
# Fixed, so that CI runs the same requests each time; set it to explore further.
SEED = int(os.environ.get("TRYON_FUZZ_SEED", "20261206"))
# One record per request; a path may hold a newline, so records are split on the marker.
ACCESS_MARK = "@access "
ACCESS_RECORD = re.compile(r"^(?P<status>\d{3}) (?P<method>[A-Z]+) (?P<path>.*)$", re.DOTALL)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``gunicorn`` serving the test settings' WSGI application, with an access log."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.access_log = folder / "access.log"
        self.error_log = folder / "server.log"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "django.core.wsgi:get_wsgi_application()",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--worker-class",
                "gthread",
                "--workers",
                "1",
                "--threads",
                "4",
                "--access-logfile",
                str(self.access_log),
                "--access-logformat",
                ACCESS_MARK + "%(s)s %(m)s %(U)s",
                "--error-logfile",
                str(self.error_log),
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(self.base + "/tryon/openapi.json", timeout=10).ok:
                    return
            except requests.RequestException:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gunicorn did not start:\n{self.log()}")
            time.sleep(0.2)

    def log(self) -> str:
        return self.error_log.read_text(errors="replace")[-5000:] if self.error_log.exists() else ""

    def requests(self) -> list[tuple[str, str, str]]:
        """``(method, path, status)`` of every request the server answered."""
        found = []
        text = self.access_log.read_text(errors="replace")
        for entry in text.split(ACCESS_MARK)[1:]:
            match = ACCESS_RECORD.match(entry.rstrip("\n"))
            assert match, f"unexpected access log record: {entry!r}"
            found.append((match["method"], match["path"], match["status"]))
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


class Shop:
    """What the server holds: a garment, a featured result, one shopper's jobs."""

    def __init__(self) -> None:
        from django.contrib.sessions.backends.db import SessionStore

        from tests.shop.models import Product

        # Id 1: the schema's lowest, which generation tries first (fuzz_hooks.py).
        self.garment = create_garment(Product.objects.create(name="Linen shirt"), pk=1)
        photo = ModelPhoto(name="Alex")
        photo.image.save("alex.jpg", ContentFile(make_image()), save=False)
        photo.save()
        self.featured = self.job(source=Source.ADMIN, model_photo=photo, is_featured=True)
        secret = secrets.token_urlsafe(32)
        session = SessionStore()
        session[OWNER_SESSION_KEY] = secret
        session.create()
        self.session_key = str(session.session_key)
        owner = owner_of(secret)
        expires = timezone.now() + timedelta(days=1)
        # Per operation, so that deleting one doesn't leave the others nothing to find.
        self.tokens = {
            "GET /jobs/{token}/": [
                self.job(owner=owner, expires_at=expires, status=s).token
                for s in (Status.PENDING, Status.SUCCEEDED, Status.FAILED)
            ],
            "GET /jobs/{token}/result/": [self.job(owner=owner, expires_at=expires).token],
            "POST /jobs/{token}/cancel/": [
                self.job(owner=owner, expires_at=expires, status=s).token
                for s in (Status.PENDING, Status.RUNNING, Status.SUCCEEDED)
            ],
            "DELETE /jobs/{token}/": [
                self.job(owner=owner, expires_at=expires).token for _ in range(3)
            ],
            "GET /gallery/{token}/{width}.jpg": [self.featured.token],
        }
        # The visit's photos, without jobs (deleting one deletes only itself here).
        self.photo_tokens = {
            f"{method} /photos/{{token}}/": [self.visit_photo(owner).token for _ in range(2)]
            for method in ("GET", "DELETE")
        }
        # Thumbnails: made on request (a photo stored before them), then one stored.
        self.photo_tokens["GET /photos/{token}/thumbnail/"] = [
            self.visit_photo(owner, thumbnail=stored).token for stored in (False, True)
        ]

    def visit_photo(self, owner: str, thumbnail: bool = False) -> ShopperPhoto:
        photo = ShopperPhoto(owner=owner, expires_at=timezone.now() + timedelta(days=1))
        photo.image.save("me.jpg", ContentFile(make_image((640, 800))), save=False)
        photo.save()
        if thumbnail:
            small = ContentFile(make_image((128, 160)))
            assert private_storage().save(photo.thumbnail_name, small) == photo.thumbnail_name
        return photo

    def job(self, *, status: str = Status.SUCCEEDED, **fields: Any) -> TryOnJob:
        fields.setdefault("source", Source.SHOPPER)
        job = TryOnJob(
            garment=self.garment,
            category=self.garment.category,
            provider="sandbox",
            status=status,
            **fields,
        )
        if status == Status.SUCCEEDED:
            job.result.save("r.jpg", ContentFile(make_image((600, 800))), save=False)
            job.finished_at = timezone.now()
        job.save()
        return job


@pytest.fixture
def live_api(transactional_db: Any, settings: Any, tmp_path: Path) -> Iterator[tuple[Server, Shop]]:
    """The server and what it holds (committed: the server reads the test database)."""
    shared_storage(settings, tmp_path)
    shop = Shop()
    env = {
        **subprocess_env(settings, {"RATE_LIMITS": {}, "PROMPT_MODE": True}),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    server = Server(env, tmp_path)
    try:
        yield server, shop
    finally:
        server.stop()


def run_schemathesis(server: Server, shop: Shop, folder: Path) -> subprocess.CompletedProcess[str]:
    csrf = secrets.token_hex(16)
    photo = folder / "photo.jpg"
    photo.write_bytes(make_image((640, 800)))
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.api.fuzz_hooks",
        "TRYON_FUZZ_SHOP": json.dumps(
            {"tokens": {**shop.tokens, **shop.photo_tokens}, "photo": str(photo)}
        ),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        f"--config-file={HERE / 'schemathesis.toml'}",
        "run",
        f"{server.base}/tryon/openapi.json",
        f"--checks={','.join(CHECKS)}",
        f"--max-examples={EXAMPLES}",
        f"--seed={SEED}",
        "--generation-database=none",
        # The shopper's browser: its session, a CSRF cookie and the same value as a header.
        "--generation-with-security-parameters=false",
        f"--header=Cookie: csrftoken={csrf}; sessionid={shop.session_key}",
        f"--header=X-CSRFToken: {csrf}",
        "--request-timeout=30",
        "--no-color",
    ]
    run = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=600)
    (folder / "schemathesis.txt").write_text(run.stdout + run.stderr)
    return run


def test_every_answer_is_documented_and_none_is_a_server_error(
    live_api: tuple[Server, Shop], tmp_path: Path
) -> None:
    server, shop = live_api
    run = run_schemathesis(server, shop, tmp_path)
    summary = run.stdout[run.stdout.rfind("SUMMARY") :]
    print(summary)
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]

    # The server's own account, apart from schemathesis' checks: no 5xx at all...
    requests_seen = server.requests()
    answers = Counter(status for _, _, status in requests_seen)
    cases = re.search(r"(\d+) generated", summary)
    print(f"schemathesis: {len(requests_seen)} requests, answers {dict(sorted(answers.items()))}")
    record(
        "api_fuzz",
        requests=len(requests_seen),
        test_cases=int(cases[1]) if cases else 0,
        **{f"answered_{status}": n for status, n in answers.items()},
    )
    assert len(requests_seen) >= EXAMPLES
    assert not [s for s in answers if s.startswith("5")], (answers, server.log())
    # ...and the database changed only as the answers said: a job for each 201, and for
    # each 204 a job gone, or the visit's photo with every job made from it (the fuzzer's
    # session uploads one photo again and again: it is stored once, and its jobs share it).
    created = sum(1 for m, p, s in requests_seen if (m, p, s) == ("POST", "/tryon/jobs/", "201"))
    deleted = {p.split("/")[3] for m, p, s in requests_seen if (m, s) == ("DELETE", "204")}
    seeded = {token for tokens in shop.tokens.values() for token in tokens}
    photos = {token for tokens in shop.photo_tokens.values() for token in tokens}
    jobs = set(TryOnJob.objects.values_list("token", flat=True))
    assert len(jobs - seeded) <= created - len(deleted - seeded - photos)
    assert not TryOnJob.objects.exclude(token__in=seeded).filter(shopper_photo=None).exists()
    assert seeded - jobs == deleted & seeded
    left = set(ShopperPhoto.objects.values_list("token", flat=True))
    assert photos - left == deleted & photos
    assert created > 0 and deleted
