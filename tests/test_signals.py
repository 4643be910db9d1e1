"""Every signal is sent with ``sender=TryOnJob``; the provider ones name their alias."""

from __future__ import annotations

import pytest
from django.test import override_settings

from django_tryon import signals
from django_tryon.models import TryOnJob
from django_tryon.services import request_tryon, resume_provider
from django_tryon.testing.queue import drive_pipeline

pytestmark = pytest.mark.django_db(transaction=True)

BROKE = {
    "DEFAULT_PROVIDER": "broke",
    "PROVIDERS": {
        "broke": {
            "BACKEND": "django_tryon.providers.sandbox.SandboxProvider",
            "OUTCOME": "account",
            "LATENCY": 0,
        }
    },
}


def test_pause_and_resume_are_heard_by_a_receiver_for_tryonjob(garment, model_photo):
    heard: list[tuple[str, dict[str, str]]] = []

    def paused(sender, alias, code, reason, **kwargs):
        heard.append(("paused", {"alias": alias, "code": code}))

    def resumed(sender, alias, **kwargs):
        heard.append(("resumed", {"alias": alias}))

    signals.provider_paused.connect(paused, sender=TryOnJob)
    signals.provider_resumed.connect(resumed, sender=TryOnJob)
    try:
        with override_settings(TRYON=BROKE):
            request_tryon(garment, model_photo)
            drive_pipeline(timeout=2)
            resume_provider("broke")
    finally:
        signals.provider_paused.disconnect(paused, sender=TryOnJob)
        signals.provider_resumed.disconnect(resumed, sender=TryOnJob)
    assert heard == [
        ("paused", {"alias": "broke", "code": "insufficient_credits"}),
        ("resumed", {"alias": "broke"}),
    ]
