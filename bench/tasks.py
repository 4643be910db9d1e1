"""The baseline's task: django-q2 overhead and nothing else."""


def noop(i: int) -> int:
    return i
