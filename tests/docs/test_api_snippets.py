"""The Python API page's snippets, and the example provider of "Adding a provider", run."""

from __future__ import annotations

import io
import logging
import os
import sys
import types
from pathlib import Path

import pytest
from django.core import mail
from django.test import override_settings

from django_tryon import signals
from django_tryon.models import Status, TryOnJob
from django_tryon.providers.sandbox import SandboxProvider
from django_tryon.testing.queue import drive_pipeline
from tests.docs.support import person_photo, read_snippet

SANDBOX = "django_tryon.providers.sandbox.SandboxProvider"


def run_snippet(name: str) -> dict:
    namespace: dict = {"__name__": name.replace("/", "_").removesuffix(".py")}
    exec(compile(read_snippet(name), name, "exec"), namespace)
    return namespace


def test_request_tryon_examples(garment, model_photo):
    api = run_snippet("api/request_tryon.py")
    job = api["try_on_model"](garment, model_photo)
    assert job.status == Status.PENDING
    assert drive_pipeline() == 0
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED and job.result

    refused, message = api["try_on_upload"](garment, b"%PDF-1.7 not a picture")
    assert refused is None and "not a picture" in message

    accepted, message = api["try_on_upload"](garment, person_photo())
    assert accepted is not None and message == ""
    assert drive_pipeline() == 0


def test_request_outfit_examples(garment, model_photo, settings):
    from tests.fixtures import create_garment

    trousers = create_garment(garment.product, category="lower_body", description="chinos")
    api = run_snippet("api/request_outfit.py")
    job = api["outfit_on_model"](garment, trousers, model_photo)
    assert job.outfit_garments() == [garment, trousers] and job.estimated_credits == 1
    assert drive_pipeline() == 0
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED and job.attempts == 1  # the sandbox: one call
    assert api["outfit_cost"]("sandbox", 2) == 1
    settings.TRYON = {
        **settings.TRYON,
        "PROVIDERS": {"sandbox": {"BACKEND": SANDBOX, "LATENCY": 0, "MAX_GARMENTS": 1}},
    }
    assert api["outfit_cost"]("sandbox", 2) == 2  # chained: the sum of two calls


@pytest.fixture
def signal_snippet():
    namespace = run_snippet("api/signals.py")
    yield namespace
    signals.job_succeeded.disconnect(namespace["log_success"])
    signals.job_failed.disconnect(namespace["log_failure"])
    signals.provider_paused.disconnect(namespace["tell_the_admins"])


def test_signal_receivers(signal_snippet, garment, model_photo, caplog, settings):
    settings.ADMINS = [("Ops", "ops@example.com")]
    caplog.set_level(logging.INFO, logger="shop.tryon")
    tryon = {
        "PROVIDERS": {
            "sandbox": {"BACKEND": SANDBOX, "LATENCY": 0},
            "broke": {"BACKEND": SANDBOX, "OUTCOME": "account"},
            "strict": {"BACKEND": SANDBOX, "OUTCOME": "no_person", "LATENCY": 0},
        }
    }
    with override_settings(TRYON=tryon):
        from django_tryon.services import request_tryon

        request_tryon(garment, model_photo)
        request_tryon(garment, model_photo, provider="strict")
        waiting = request_tryon(garment, model_photo, provider="broke")
        drive_pipeline(timeout=3)
    assert "done by sandbox" in caplog.text
    assert "failed: no_person" in caplog.text
    assert [m.subject for m in mail.outbox] == ["[Django] Try-on provider broke paused"]
    waiting.refresh_from_db()
    assert waiting.status == Status.PENDING  # it waits for the alias to be resumed


def test_the_example_provider_works(garment, model_photo):
    namespace = run_snippet("providers/mirror_provider.py")
    module = types.ModuleType("myshop.tryon_providers")
    module.MirrorProvider = namespace["MirrorProvider"]
    sys.modules["myshop"] = types.ModuleType("myshop")
    sys.modules["myshop.tryon_providers"] = module
    try:
        tryon = run_snippet("providers/mirror_settings.py")["TRYON"]
        from django_tryon.checks import check_settings
        from django_tryon.services import request_tryon

        with override_settings(TRYON=tryon):
            assert not [p for p in check_settings() if p.id != "tryon.E007"]
            job = request_tryon(garment, model_photo)
            assert drive_pipeline() == 0
            job.refresh_from_db()
            assert job.status == Status.SUCCEEDED, job.error_code
            with job.result.open("rb") as result, model_photo.image.open("rb") as photo:
                assert result.read() == photo.read()

        tryon["PROVIDERS"]["mirror"]["FAIL"] = True
        with override_settings(TRYON=tryon):
            failed = request_tryon(garment, model_photo, options={"again": 1})
            assert drive_pipeline() == 0
            failed.refresh_from_db()
            assert failed.status == Status.FAILED and failed.error_code == "no_person"
    finally:
        sys.modules.pop("myshop.tryon_providers")
        sys.modules.pop("myshop")
    assert TryOnJob.objects.count() == 2
    assert SandboxProvider  # the default alias is untouched


def test_headless_client_against_a_live_server(live_server, garment, settings):
    import secrets
    import threading

    import requests
    from PIL import Image

    settings.TRYON = {**settings.TRYON, "RATE_LIMITS": {}}
    client = run_snippet("api/headless_client.py")
    session = requests.Session()
    session.cookies.set("csrftoken", secrets.token_hex(16))  # as a page of the shop sets it
    job = client["start_try_on"](session, live_server.url, garment.pk, person_photo())
    assert job["status"] == "pending"

    worker = threading.Timer(0.5, drive_pipeline)  # the cluster's part, in this process
    worker.start()
    picture = client["wait_for_picture"](session, live_server.url, job)
    worker.join()
    assert Image.open(io.BytesIO(picture)).format == "JPEG"

    other = requests.Session()
    other.cookies.set("csrftoken", secrets.token_hex(16))
    assert other.get(live_server.url + job["url"]).status_code == 404  # the shopper's only
    with pytest.raises(client["TryOnRefused"]) as refused:
        client["start_try_on"](session, live_server.url, garment.pk, b"not a picture")
    assert refused.value.status == 400 and refused.value.code == "not_an_image"

    client["delete_photo"](session, live_server.url, job)
    assert session.get(live_server.url + job["url"]).status_code == 404
    assert not TryOnJob.objects.filter(token=job["token"]).exists()


def test_the_fuzzing_command_runs_against_a_live_server(live_server, garment, tmp_path):
    import subprocess

    # The page's command, pointed at this server, with fewer examples to keep the suite quick.
    script = (
        read_snippet("api/fuzz.sh")
        .replace("https://staging.example.com", live_server.url)
        .replace("--max-examples=50", "--max-examples=3")
    )
    assert script != read_snippet("api/fuzz.sh")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
    assert "passed" in run.stdout and "failed" not in run.stdout
