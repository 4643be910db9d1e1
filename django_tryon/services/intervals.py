"""Confidence intervals for conversion rates and their difference.

- ``wilson``: the Wilson score interval of one proportion (Wilson 1927), good at small
  counts and rates near 0 or 1, where the textbook normal interval fails;
- ``newcombe``: the interval of the difference of two independent proportions built from
  their Wilson intervals (Newcombe 1998, method 10, the "hybrid score" interval).

Below ``MIN_SAMPLE`` shoppers in either group the report says "not enough data" instead of
an interval: with so few shoppers the interval is wide enough to mislead at a glance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.959963984540054  # two-sided 95 %
MIN_SAMPLE = 30  # shoppers in each group before a difference is shown


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def wilson(successes: int, total: int, z: float = Z_95) -> Interval:
    """The Wilson score interval of ``successes / total`` (``total`` > 0)."""
    if total <= 0:
        raise ValueError("total must be positive")
    if not 0 <= successes <= total:
        raise ValueError("successes must be between 0 and total")
    p = successes / total
    z2 = z * z
    centre = (p + z2 / (2 * total)) / (1 + z2 / total)
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / (1 + z2 / total)
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Difference:
    """``rate_a - rate_b`` and its interval; ``interval`` None below ``MIN_SAMPLE``."""

    rate_a: float | None
    rate_b: float | None
    difference: float | None
    interval: Interval | None

    @property
    def enough_data(self) -> bool:
        return self.interval is not None

    @property
    def is_clear(self) -> bool:
        """Whether the interval excludes 0: the groups differ beyond chance (at 95 %)."""
        return self.interval is not None and (self.interval.low > 0 or self.interval.high < 0)


def newcombe(
    successes_a: int,
    total_a: int,
    successes_b: int,
    total_b: int,
    *,
    z: float = Z_95,
    min_sample: int = MIN_SAMPLE,
) -> Difference:
    """Newcombe's hybrid score interval for ``p_a - p_b``."""
    rate_a = successes_a / total_a if total_a else None
    rate_b = successes_b / total_b if total_b else None
    difference = rate_a - rate_b if rate_a is not None and rate_b is not None else None
    if difference is None or min(total_a, total_b) < min_sample:
        return Difference(rate_a, rate_b, difference, None)
    assert rate_a is not None and rate_b is not None
    a, b = wilson(successes_a, total_a, z), wilson(successes_b, total_b, z)
    low = difference - math.sqrt((rate_a - a.low) ** 2 + (b.high - rate_b) ** 2)
    high = difference + math.sqrt((a.high - rate_a) ** 2 + (rate_b - b.low) ** 2)
    return Difference(rate_a, rate_b, difference, Interval(low, high))
