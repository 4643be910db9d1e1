"""django-q2 entry points. Thin on purpose: each wakes the pipeline up and returns.

Any of them may run twice, late or never; ``django_tryon.pipeline`` is written for that.
"""

from __future__ import annotations

from . import pipeline


def advance_job(job_id: int) -> None:
    pipeline.advance(job_id)


def drain() -> int:
    return pipeline.drain()


def tick() -> None:
    pipeline.tick()


def sweep() -> dict[str, int]:
    return pipeline.sweep()


def cleanup() -> int:
    from .services import delete_expired

    return delete_expired()
