"""``manage.py tryon_check``: credentials, storage round trip, cluster round trip, verdicts."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.files.storage import InMemoryStorage
from django.core.management import call_command
from django.core.management.base import CommandError

from django_tryon import pipeline
from django_tryon.models import Lease, ProviderState
from django_tryon.providers.base import AccountError
from django_tryon.services import checks
from django_tryon.testing.queue import run_queued_tasks
from tests.providers.support import cc_alias, fa_alias, mh_alias, set_alias_options, tryon


class BrokenStorage(InMemoryStorage):
    def _save(self, name, content):
        raise OSError("disk full")


class ForgetfulStorage(InMemoryStorage):
    def delete(self, name):
        pass  # claims success, keeps the file


@pytest.fixture
def cluster_worker(monkeypatch):
    """Stands in for a running qcluster: queued tasks run while the check waits."""
    monkeypatch.setattr(checks, "_pause", lambda seconds: run_queued_tasks())


def run(*args: str) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("tryon_check", *args, stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def test_everything_passes(mh, db, cluster_worker):
    out, error = run("magichour")
    assert error is None, out
    assert "OK   credentials (magichour): Magic Hour at" in out
    assert "OK   storage (default): Saved, read back and deleted" in out
    assert "OK   private storage (tryon_private): Saved, read back and deleted" in out
    assert "OK   cluster: A qcluster ran a probe task via ORM default" in out
    assert "All 4 checks passed." in out
    assert not Lease.objects.filter(name__startswith="check:").exists()  # probe cleaned up
    assert mh.create_calls == 0  # no credit spent


def test_a_refused_key_fails_with_a_non_zero_exit_and_never_shows_the_key(mh, db, settings):
    set_alias_options(settings, "magichour", API_KEY="mh-leak-me-not")
    out, error = run("magichour", "--no-cluster")
    assert error is not None and error.returncode == 1
    assert "FAIL credentials (magichour): Magic Hour answered HTTP 401" in out
    assert "mh-leak-me-not" not in out + str(error)


def test_a_paused_alias_is_resumed_with_resume_when_its_credentials_pass(mh, db):
    pipeline.pause_alias("magichour", AccountError("insufficient_credits"))
    out, error = run("magichour", "--no-cluster", "--resume")
    assert error is None, out
    assert "OK   pause (magichour): Was paused (insufficient_credits); resumed" in out
    assert not ProviderState.objects.get(alias="magichour").is_paused


def test_a_paused_alias_stays_paused_when_its_credentials_fail(mh, db, settings):
    pipeline.pause_alias("magichour", AccountError("auth_failed"))
    set_alias_options(settings, "magichour", API_KEY="wrong")
    out, error = run("magichour", "--no-cluster", "--resume")
    assert error is not None
    assert "FAIL pause (magichour): Paused since" in out
    assert ProviderState.objects.get(alias="magichour").is_paused


def test_without_resume_a_passing_alias_stays_paused_and_the_check_says_how(mh, db):
    pipeline.pause_alias("magichour", AccountError("auth_failed"))
    out, error = run("magichour", "--no-cluster")
    assert error is not None and "FAIL pause (magichour)" in out
    assert "OK   credentials (magichour)" in out and "run with --resume" in out
    assert ProviderState.objects.get(alias="magichour").is_paused


def test_change_clothes_explains_what_cannot_be_checked_for_free(cc, db):
    out, error = run("changeclothes", "--no-cluster")
    assert error is None, out
    assert "can only be checked by spending credits" in out
    assert cc.create_calls == 1 and cc.violations  # the deliberately incomplete request
    cc.violations.clear()


def test_all_aliases_by_default(magichour_emulator, changeclothes_emulator, settings, db):
    settings.TRYON = tryon(
        {
            "magichour": mh_alias(magichour_emulator),
            "changeclothes": cc_alias(changeclothes_emulator),
        },
        "magichour",
    )
    out, error = run("--no-cluster", "--no-storage")
    assert error is None, out
    for alias in ("sandbox", "magichour", "changeclothes"):
        assert f"OK   credentials ({alias})" in out
    changeclothes_emulator.violations.clear()


def test_an_unknown_alias_fails(db):
    out, error = run("nope", "--no-cluster", "--no-storage")
    assert error is not None
    assert "FAIL credentials (nope): 'nope' is not an alias" in out


@pytest.mark.parametrize(
    ("backend", "message"),
    [(BrokenStorage, "Round trip failed: OSError: disk full"), (ForgetfulStorage, "still exists")],
)
def test_a_storage_that_fails_the_round_trip(db, settings, backend, message):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": f"{__name__}.{backend.__name__}"},
    }
    out, error = run("sandbox", "--no-cluster")
    assert error is not None
    assert "FAIL storage (default)" in out and message in out


def test_no_cluster_running_fails_after_the_wait(db):
    out, error = run("sandbox", "--cluster-wait", "0.3")
    assert error is not None
    assert "FAIL cluster: No qcluster ran a probe task within 0.3 s" in out
    assert not Lease.objects.filter(name__startswith="check:").exists()


def test_an_unreachable_broker_fails(db, monkeypatch):
    from django_q.brokers.orm import ORM

    def down(self):
        raise ConnectionError("broker down")

    monkeypatch.setattr(ORM, "ping", down)
    verdict = checks.check_cluster(0.1)
    assert not verdict.ok and "unreachable" in verdict.message


def test_the_service_layer_returns_verdicts(mh, db, cluster_worker):
    verdicts = checks.run_checks(["magichour"])
    assert [(v.name, v.ok) for v in verdicts] == [
        ("credentials (magichour)", True),
        ("storage (default)", True),
        ("private storage (tryon_private)", True),
        ("cluster", True),
    ]


def test_magic_hour_and_fashn_report_their_credits_left(mh, fa, db, settings):
    mh.credits, mh.tier = 500, "creator"
    fa.balance = 77
    settings.TRYON = tryon({"magichour": mh_alias(mh), "fashn": fa_alias(fa)}, "magichour")
    out, error = run("magichour", "fashn", "--no-cluster")
    assert error is None, out
    assert "500 credits left on the creator plan" in out
    assert "OK   credentials (fashn): FASHN at" in out and "77 credits left" in out
    assert mh.create_calls == fa.create_calls == 0  # no credit spent
