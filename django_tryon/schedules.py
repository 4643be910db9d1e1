"""The periodic django-q2 schedules of the app, registered idempotently after migrate.

``schedule()`` with an existing name raises IntegrityError, so rows are written with
``update_or_create`` keyed on their name: running migrate any number of times, on any
number of hosts, leaves exactly one row each.
"""

from __future__ import annotations

from typing import Any

from .conf import tryon_settings

SWEEP = "django-tryon sweep"
CLEANUP = "django-tryon cleanup"


def schedule_specs() -> dict[str, dict[str, Any]]:
    from django_q.conf import Conf
    from django_q.models import Schedule

    # django-q2 runs a schedule without a cluster only on the cluster named like
    # Q_CLUSTER["name"]. With a ``cluster_name`` of its own, no cluster would ever run the
    # sweep or the retention cleanup: they go to the cluster our tasks are sent to.
    cluster = Conf.CLUSTER_NAME if Conf.CLUSTER_NAME != Conf.PREFIX else None
    return {
        SWEEP: {
            "func": "django_tryon.tasks.sweep",
            "schedule_type": Schedule.MINUTES,
            "minutes": tryon_settings.SWEEP_MINUTES,
            "repeats": -1,
            "cluster": cluster,
        },
        CLEANUP: {
            "func": "django_tryon.tasks.cleanup",
            "schedule_type": Schedule.HOURLY,
            "repeats": -1,
            "cluster": cluster,
        },
    }


def register_schedules(**kwargs: Any) -> None:
    """``post_migrate`` receiver (also safe to call by hand)."""
    from django.db import DEFAULT_DB_ALIAS, connections
    from django_q.models import Schedule

    using = kwargs.get("using", DEFAULT_DB_ALIAS)
    if Schedule._meta.db_table not in connections[using].introspection.table_names():
        return  # django_q not migrated on this database yet
    for name, fields in schedule_specs().items():
        Schedule.objects.using(using).update_or_create(name=name, defaults=fields)
