"""API keys and webhook secrets never leave the settings.

Canary keys are configured for both providers (their emulators accept exactly them, so the
keys really are in use), and everything is pushed through the paths that show text:
successful and failing jobs with every kind of provider error, refused webhooks, the
credentials check command, Django's own error page, the system checks, the admin (every
page, as a superuser), the shopper API, the widget. Everything they produce is collected:
HTML, JSON, every log record at DEBUG from every logger, exception messages and
tracebacks, the rows in the database. None of it may contain a canary.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory

from django_tryon.checks import check_settings
from django_tryon.models import Status, TryOnJob
from django_tryon.providers import get_provider
from django_tryon.providers.base import ProviderError
from django_tryon.services import request_tryon
from django_tryon.testing.emulators import ChangeClothesEmulator, FashnEmulator, MagicHourEmulator
from tests.fixtures import make_image
from tests.providers.support import cc_alias, fa_alias, mh_alias, sign
from tests.reliability.figures import record
from tests.reliability.support import reliability_tryon, settle
from tests.security.conftest import Browser
from tests.security.urls import Shop, routes, staff

MH_KEY = "mhk_live_CANARY_5b1d9e0c7a2f"
CC_KEY = "cck_live_CANARY_84e2a61f03bd"
FA_KEY = "fa_live_CANARY_9d04c2b7e15f"
WEBHOOK_SECRET = "whsec_CANARY_3c9f7e21d0aa"
FA_TOKEN = "fatok_CANARY_61ab0e9d4c27"
CANARIES = (MH_KEY, CC_KEY, FA_KEY, WEBHOOK_SECRET, FA_TOKEN)

pytestmark = pytest.mark.django_db(transaction=True)


class Collector:
    """Everything that came out, by where it came from."""

    def __init__(self) -> None:
        self.outputs: list[tuple[str, str]] = []

    def add(self, where: str, text: Any) -> None:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        self.outputs.append((where, str(text)))

    def leaks(self) -> list[str]:
        return [
            f"{where}: ...{text[max(0, text.find(c) - 60) : text.find(c) + 60]}..."
            for where, text in self.outputs
            for c in CANARIES
            if c in text
        ]


@pytest.fixture
def collected() -> Iterator[Collector]:
    """Every log record of every logger, at DEBUG, formatted with its traceback."""
    collector = Collector()

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            collector.add(f"log {record.name}", self.format(record))

    handler = Capture(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in logging.root.manager.loggerDict:  # loggers that don't propagate too
        logger = logging.getLogger(name)
        if not logger.propagate:
            logger.addHandler(handler)
    yield collector
    root.removeHandler(handler)
    root.setLevel(level)
    for name in logging.root.manager.loggerDict:
        logging.getLogger(name).removeHandler(handler)


@pytest.fixture
def emulators(settings: Any) -> Iterator[tuple[Any, ...]]:
    with (
        MagicHourEmulator(api_key=MH_KEY) as mh,
        ChangeClothesEmulator(api_key=CC_KEY) as cc,
        FashnEmulator(api_key=FA_KEY) as fa,
    ):
        settings.TRYON = reliability_tryon(
            {
                "magichour": mh_alias(mh, WEBHOOK_SECRET=WEBHOOK_SECRET, TIMEOUT=0.5),
                "changeclothes": cc_alias(cc, TIMEOUT=0.5),
                "fashn": fa_alias(
                    fa,
                    TIMEOUT=0.5,
                    WEBHOOK_URL="https://shop.test/tryon/webhooks/fashn/fashn/",
                    WEBHOOK_TOKEN=FA_TOKEN,
                ),
            },
            "magichour",
            RATE_LIMITS={},
            MAX_TRANSIENT_ERRORS=2,
        )
        yield mh, cc, fa


FAULTS = [
    ("http_error", "create", {"status": 401, "message": "Invalid key"}),
    ("http_error", "create", {"status": 402}),
    ("http_error", "create", {"status": 500}),
    ("timeout", "create", {"seconds": 1}),
    ("reset", "create", {}),
    ("malformed_json", "create", {}),
    ("html", "create", {"status": 502}),
    ("not_image", "download", {}),
    ("redirect", "download", {}),
    ("expired", "download", {}),
]


def content(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def run_jobs(
    providers: dict[str, Any], garment: Any, model_photo: Any, out: Collector
) -> list[TryOnJob]:
    jobs = []
    for n, (fault, route, params) in enumerate(FAULTS):
        for alias, emulator in providers.items():
            if route == "create" or fault != "expired" or alias == "magichour":
                emulator.inject(fault, route=route, **params)
            job = request_tryon(garment, model_photo, provider=alias, options={"n": n})
            try:
                job = settle(job)
            except Exception as exc:
                out.add("exception", "".join(traceback.format_exception(exc)))
                raise
            from django_tryon.services import resume_provider

            resume_provider(alias)
            jobs.append(job)
    # The providers' own errors, raised directly, as a shop's code would see them.
    for alias, emulator in providers.items():
        for fault, route, params in FAULTS[:7]:
            emulator.inject(fault, route=route, **params)
            try:
                from tests.providers.support import tryon_request

                get_provider(alias).submit(tryon_request())
            except ProviderError as error:
                out.add(f"exception {alias} {fault}", f"{error!s} {error!r} {vars(error)}")
                out.add("traceback", "".join(traceback.format_exception(error)))
    return jobs


def test_no_key_or_secret_in_anything_the_app_shows(
    emulators, collected, garment, model_photo, shopper_browser, capsys
):
    mh, cc, fa = emulators
    jobs = run_jobs(
        {"magichour": mh, "changeclothes": cc, "fashn": fa}, garment, model_photo, collected
    )
    assert {job.status for job in jobs} >= {Status.SUCCEEDED, Status.FAILED}

    # Refused webhooks: wrong secret, stale, unsigned (their answers and log lines).
    body = json.dumps({"type": "image.completed", "payload": {"id": "x"}}).encode()
    for headers in (sign(body, secret="nope"), sign(body, secret=WEBHOOK_SECRET, timestamp=1), {}):
        response = Browser().post(
            "/tryon/webhooks/magichour/magichour/", body, "application/json", headers=headers
        )
        collected.add("webhook answer", response.content)
    for query in ("ref=x&token=guess", ""):
        response = Browser().post(
            f"/tryon/webhooks/fashn/fashn/?{query}", b'{"id": "x"}', "application/json"
        )
        collected.add("webhook answer", response.content)

    # The credentials check, with a good and a bad key.
    for key in (MH_KEY, "wrong"):
        mh.api_key = key
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command("tryon_check", "--no-cluster", stdout=out, stderr=err)
        except BaseException as exc:  # CommandError / SystemExit on failure
            collected.add("tryon_check exception", repr(exc))
        collected.add("tryon_check", out.getvalue() + err.getvalue())
    mh.api_key = MH_KEY

    # System checks and their hints.
    collected.add("checks", "\n".join(f"{m.msg} {m.hint}" for m in check_settings()))

    # Django's technical 500 page (DEBUG=True), which lists the settings.
    from django.views.debug import technical_500_response

    request = RequestFactory().get("/tryon/jobs/")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        collected.add("debug page", technical_500_response(request, *sys.exc_info()).content)

    # The shopper API and the widget.
    response = shopper_browser.upload(garment, make_image((640, 800)))
    collected.add("api create", response.content)
    collected.add("api status", shopper_browser.get(response.json()["url"]).content)
    html = Template("{% load tryon %}{% tryon_widget product %}{% tryon_gallery product %}").render(
        Context({"product": garment.product, "request": RequestFactory().get("/")})
    )
    collected.add("widget", html)

    # Every admin page, as a superuser, including each failed job's page.
    shop = Shop(garment, model_photo, TryOnJob.objects.get(token=response.json()["token"]))
    root = Browser()
    root.force_login(staff("root", superuser=True))
    pages = 0
    for route in routes():
        if route.is_admin:
            collected.add(f"admin {route.pattern}", content(root.get(shop.url(route))))
            pages += 1
    for job in jobs:
        collected.add(
            "admin job page", root.get(f"/admin/django_tryon/tryonjob/{job.pk}/change/").content
        )
        pages += 1

    # What the database keeps about jobs (provider_data, errors, history).
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM django_tryon_tryonjob")
        collected.add("database", repr(cursor.fetchall()))

    captured = capsys.readouterr()
    collected.add("stdout/stderr", captured.out + captured.err)

    assert not collected.leaks(), "\n".join(collected.leaks())
    assert any("CANARY" not in t for _, t in collected.outputs)
    # The canaries were really in use: the emulators only accept them.
    assert mh.create_calls and cc.create_calls and fa.create_calls
    record("security_probes", secrets_outputs=len(collected.outputs))
    record("secrets", outputs_checked=len(collected.outputs), admin_pages=pages, leaks=0)


def test_the_search_finds_a_planted_key():
    """The control: a key that does get out is found, wherever it is in the text."""
    collector = Collector()
    collector.add("log", f"GET /v1/image-projects/x Authorization: Bearer {MH_KEY}")
    collector.add("page", f"<input value='{WEBHOOK_SECRET}'>".encode())
    assert len(collector.leaks()) == 2
