"""What the pipeline's tests share: sandbox aliases configured per test, fresh rows."""

import pytest

SANDBOX = "django_tryon.providers.sandbox.SandboxProvider"


@pytest.fixture
def aliases(settings):
    """``aliases(name={options}, ...)``: sandbox aliases with these options (the first is the
    default), instead of the test settings' providers."""

    def configure(**options_by_alias):
        settings.TRYON = {
            **settings.TRYON,
            "DEFAULT_PROVIDER": next(iter(options_by_alias)),
            "PROVIDERS": {
                alias: {"BACKEND": SANDBOX, "LATENCY": 0, **options}
                for alias, options in options_by_alias.items()
            },
        }

    return configure


@pytest.fixture
def sandbox(aliases):
    """``sandbox(OUTCOME=..., LATENCY=...)``: the one alias, ``sandbox``, with these options."""

    def configure(**options):
        aliases(sandbox=options)

    return configure


@pytest.fixture
def fresh():
    """``fresh(job)``: the job, read again from its row."""

    def read(job):
        job.refresh_from_db()
        return job

    return read


@pytest.fixture
def lose_messages():
    """``lose_messages(started=...)``: the queued messages are gone. ``started=True``: a
    worker took them and died (a drain clears its queued mark as it starts); ``False``: they
    were lost in the queue (e.g. Redis restarted), their marks still set."""
    from django_q.models import OrmQ

    from django_tryon.pipeline.leases import DRAIN_LEASE, unmark_queued

    def lose(*, started):
        OrmQ.objects.all().delete()
        if started:
            unmark_queued(DRAIN_LEASE)

    return lose
