"""The daily shopper budget holds exactly under a burst, against a real server.

``SHOPPER_DAILY_CREDIT_BUDGET`` is 83 and 78 credits are already committed today; 30
shoppers (each a fresh browser session from its own address) create a try-on at the
same moment through gunicorn (2 processes x 16 threads, each thread its own database
connection), whose storage takes 0.3 s per save, as S3 can. Exactly 5 are accepted, the 25 others get ``budget_exceeded``, and the
budget row and the jobs both say 83. This ran 14 accepted (92 committed) when the check
was a read of the jobs followed by an insert.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests
from django.middleware.csrf import _get_new_csrf_string
from django.utils import timezone

from django_tryon import budget
from django_tryon.models import CreditBudget, Source, TryOnJob
from tests.fixtures import create_garment, make_image
from tests.reliability.figures import record
from tests.server import at_once

BUDGET, ALREADY, SHOPPERS = 83, 78, 30


def committed_before(garment: Any) -> None:
    """78 credits of today's shopper jobs, still running (counted at their estimate)."""
    for credits in (40, 30, 8):
        TryOnJob.objects.create(
            garment=garment,
            category="upper_body",
            provider="sandbox",
            source=Source.SHOPPER,
            owner="earlier",
            estimated_credits=credits,
            created_at=timezone.now(),
        )


def create(base: str, garment_id: int, n: int, gate: threading.Barrier) -> requests.Response:
    csrf = _get_new_csrf_string()
    session = requests.Session()  # a fresh browser: no session cookie yet
    session.cookies.set("csrftoken", csrf)
    photo = make_image((640, 800), color=(n * 8 % 255, 90 + n, 120))  # distinct: no reuse
    gate.wait()
    return session.post(
        f"{base}/tryon/jobs/",
        data={"garment": garment_id, "consent": "1"},
        files={"photo": ("me.jpg", photo, "image/jpeg")},
        headers={"X-CSRFToken": csrf, "X-Forwarded-For": f"198.51.100.{n + 1}"},
        timeout=120,
    )


@pytest.mark.django_db(transaction=True)
def test_the_shopper_budget_holds_under_a_burst(web_server, product):
    garment = create_garment(product)
    garment.image_sha256()  # stored on the row: the server needn't read the garment's file
    committed_before(garment)
    base = web_server(
        save_delay=0.3,
        tryon={
            "SHOPPER_DAILY_CREDIT_BUDGET": BUDGET,
            "CLIENT_IP_HEADER": "X-Forwarded-For",
            "RATE_LIMITS": {"SESSION": "5/h", "IP": "5/h"},
            "PROVIDERS": {
                "sandbox": {
                    "BACKEND": "django_tryon.providers.sandbox.SandboxProvider",
                    "LATENCY": 600,
                    "COST": 1,
                }
            },
        },
    )
    answers = at_once(SHOPPERS, lambda n, gate: create(base, garment.pk, n, gate))

    codes = sorted(r.json()["code"] if r.status_code != 201 else "created" for r in answers)
    accepted = codes.count("created")
    record("budget_burst", shoppers=SHOPPERS, accepted=accepted, budget=BUDGET)
    assert len(answers) == SHOPPERS
    assert accepted == BUDGET - ALREADY, codes
    assert codes.count("budget_exceeded") == SHOPPERS - accepted, codes
    row = CreditBudget.objects.get(day=budget.day_of(), scope=budget.SHOPPER)
    assert row.committed == BUDGET
    assert budget.committed_by_jobs(budget.day_of(), budget.SHOPPER) == BUDGET
    assert TryOnJob.objects.count() == 3 + accepted
