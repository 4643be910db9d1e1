"""Signals a shop can hook into. Each is sent with ``sender=TryOnJob`` unless noted."""

from django.dispatch import Signal

#: A job was accepted by its provider. Arguments: ``job``.
job_submitted = Signal()
#: A job's result is stored. Arguments: ``job``.
job_succeeded = Signal()
#: A job failed for good. Arguments: ``job``, ``error_code``, ``message``.
job_failed = Signal()
#: A job was canceled. Arguments: ``job``.
job_canceled = Signal()
#: A job moved to its alias's fallback. Arguments: ``job``, ``from_alias``, ``to_alias``, ``error_code``.
job_failed_over = Signal()
#: An alias stopped taking jobs after an account error (``sender`` is the alias).
#: Arguments: ``alias``, ``code``, ``reason``.
provider_paused = Signal()
#: A paused alias takes jobs again (``sender`` is the alias). Arguments: ``alias``.
provider_resumed = Signal()
