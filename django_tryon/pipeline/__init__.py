"""The job state machine: claim a job, take the step its row calls for, poll, sweep.

The ``TryOnJob`` row carries all state; a queue message only says "look at the jobs".
Any step may run twice, late, or never, so each one:

- starts with a *claim*: a conditional UPDATE that takes a time-limited lease on the row,
  so two workers never work on one job (``claims``; drains and the ticker lease a chunk
  of jobs in one UPDATE);
- ends with writes that are conditional on still holding that lease, so a worker that
  lost its lease (it was too slow, or the job was canceled) changes nothing;
- leaves ``next_check_at`` set, so the ticker or the sweep finds the job again if a
  message is lost.

The step a job needs next is read from its row by ``states.next_step`` (for a claimed
job) and by ``states.step_q`` (the same rows as a query, for drains and the ticker):

==========  ===============  ===============  =========  ====================================
status      provider_job_id  result_ready_at  next step  taken by
==========  ===============  ===============  =========  ====================================
pending     (any)            -                start      a drain, as the alias policy allows:
                                                         take a slot, then submit
running     empty            -                resubmit   a drain (its worker died submitting)
running     set              empty            poll       the ticker, in batches; a worker
                                                         after a webhook
running     set              set              fetch      a drain: result into storage
==========  ===============  ===============  =========  ====================================

"A drain" includes the ticker while no poll is due: it drains then rather than hold its
worker asleep, having let its lease go with another tick queued to take over (``ticker``).
A pending job leased in a drain's chunk stays pending until its own step starts it, so
"running without a provider job id" still means its worker died while submitting.

An active job past its ``deadline_at`` fails instead (``deadline_exceeded``), whoever
claims it first; the sweep looks for such jobs. Transitions, forward and back::

    pending --start--> running --fetch--> succeeded
       ^                  |  \\--poll/fetch/submit error--> failed | canceled
       |                  |
       +-- submit error --+   a transient error backs off, an account error pauses the
       +-- failover ------+   alias (the job waits, fails over, or a shopper's job fails)

Going back to pending clears the provider job id; a failover also moves the job to the
alias's ``FALLBACK``. ``succeeded``, ``failed`` and ``canceled`` are terminal: a retry
is a new job (``services.retry_job``).

Who decides about an alias (capped, paused, fallback, may a job wait, removed from the
settings) is ``aliases.AliasPolicy``, and nobody else. Modules, one idea each:

- ``wakeups``: the messages sent, and when (``start`` for new work, drains, the ticker);
- ``leases``: named locks (one ticker; one queued message per burst);
- ``claims``: per-job leases and the writes made under them;
- ``states``: the table above;
- ``aliases``: the alias policy, pausing and resuming;
- ``steps``: submit, poll, fetch; ``run`` takes any step of a claimed job;
- ``outcomes``: errors, backoff, failover, terminal states, cancel;
- ``drains``, ``ticker``: the scheduled work (drains; the ticker and the sweep).
"""

from __future__ import annotations

from .aliases import AliasPolicy, Verdict, pause_alias, resume_alias
from .claims import START_LEASE, claim, claim_read, claim_read_many, write
from .drains import DRAIN_BATCH, drain, due_for_drain
from .inputs import build_request
from .leases import DRAIN_LEASE, TICK_LEASE, acquire_lease, create_leases, release_lease
from .outcomes import backoff, cancel
from .states import Step, next_step
from .steps import advance
from .ticker import TICK_GRACE, seconds_to_next_due, sweep, tick, tick_once
from .wakeups import ensure_drain, ensure_ticker, on_provider_event, start

__all__ = [
    "DRAIN_BATCH",
    "DRAIN_LEASE",
    "START_LEASE",
    "TICK_GRACE",
    "TICK_LEASE",
    "AliasPolicy",
    "Step",
    "Verdict",
    "acquire_lease",
    "advance",
    "backoff",
    "build_request",
    "cancel",
    "claim",
    "claim_read",
    "claim_read_many",
    "create_leases",
    "drain",
    "due_for_drain",
    "ensure_drain",
    "ensure_ticker",
    "next_step",
    "on_provider_event",
    "pause_alias",
    "release_lease",
    "resume_alias",
    "seconds_to_next_due",
    "start",
    "sweep",
    "tick",
    "tick_once",
    "write",
]
