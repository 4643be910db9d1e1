"""Named leases: one ticker at a time, and one queued message per burst of wake-ups.

A lease is a ``Lease`` row taken by a conditional UPDATE until a time; whoever holds it
writes its owner token there. The rows are made after migrate and remade by the sweep,
so marking one is a single UPDATE.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..conf import tryon_settings
from ..models import Lease

TICK_LEASE = "ticker"
DRAIN_LEASE = "drain"
# A lease's owner while the message for it waits in the queue (see send_once).
QUEUED = "queued"


def enqueue(func: str, *args: Any) -> None:
    """Send a wake-up message once the surrounding transaction (if any) has committed."""
    from django_q.tasks import async_task

    # Our rows are the record of what happened: no Task row is kept for a task that succeeded.
    transaction.on_commit(lambda: async_task(func, *args, q_options={"save": False}))


def send_once(lease: str, func: str) -> None:
    """Enqueue ``func`` unless the lease says a message for it is queued or running.

    The lease is marked ``queued`` for a while, so that a burst of calls sends one message,
    not one each; if that message is lost the mark expires and the next call sends another.
    """
    now = timezone.now()
    free = Q(until__isnull=True) | Q(until__lte=now)
    marked = Lease.objects.filter(free, name=lease).update(
        owner=QUEUED, until=now + timedelta(seconds=tryon_settings.REDISPATCH_AFTER)
    )
    if marked:
        enqueue(func)


def unmark_queued(lease: str) -> None:
    """The queued message has started: from here on, new work sends another."""
    Lease.objects.filter(name=lease, owner=QUEUED).update(owner="", until=None)


def create_leases(**kwargs: Any) -> None:
    """Make the pipeline's lease rows (a ``post_migrate`` receiver, and part of the sweep)."""
    from django.db import DEFAULT_DB_ALIAS, connections

    using = kwargs.get("using", DEFAULT_DB_ALIAS)
    if Lease._meta.db_table not in connections[using].introspection.table_names():
        return  # not migrated on this database yet
    for name in (TICK_LEASE, DRAIN_LEASE):
        Lease.objects.using(using).get_or_create(name=name)


def acquire_lease(name: str, seconds: float) -> str | None:
    """Take the named lease for ``seconds``; return its owner token, or None if it's held."""
    owner = secrets.token_hex(8)
    now = timezone.now()
    Lease.objects.get_or_create(name=name)
    free = Q(until__isnull=True) | Q(until__lte=now) | Q(owner=QUEUED)
    taken = Lease.objects.filter(free, name=name).update(
        owner=owner, until=now + timedelta(seconds=seconds)
    )
    return owner if taken else None


def release_lease(name: str, owner: str) -> None:
    Lease.objects.filter(name=name, owner=owner).update(until=None, owner="")
