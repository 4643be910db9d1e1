"""Numbers and ids read from requests: ASCII digits within what a database column holds.

``str.isdigit()`` says yes to ``"²"`` (which ``int()`` refuses) and ``int()`` takes any
number of digits, which SQLite and Postgres then refuse to compare with a 64-bit column:
both ended as 500s. Every number a URL, a form, or a header carries goes through here.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models

# The largest value of a BigAutoField / BigIntegerField (and of SQLite's INTEGER).
MAX_INT = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")

M = TypeVar("M", bound=models.Model)


def parse_int(value: Any, *, low: int = 0, high: int = MAX_INT) -> int | None:
    """``value`` as an int in ``[low, high]`` when it is plain ASCII digits, else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if low <= number <= high else None


def parse_id(value: Any) -> int | None:
    """A positive database id, or None."""
    return parse_int(value, low=1)


def object_or_none(queryset: models.QuerySet[M], pk: Any) -> M | None:
    """The row with primary key ``pk`` (any pk type), or None when there is none or ``pk``
    can't be one (wrong type, out of range)."""
    field = queryset.model._meta.pk
    assert field is not None
    try:
        value = field.to_python(pk)
        if isinstance(field, models.IntegerField | models.AutoField):
            value = parse_int(value, low=-MAX_INT - 1)
            if value is None:
                return None
        return queryset.filter(pk=value).first()
    except (ValidationError, ValueError, TypeError, OverflowError):
        return None
