"""Stacked daily bar charts as plain geometry, drawn as inline SVG by a template.

No charting library and no script: the view computes rectangles, ticks and labels here,
and ``includes/bar_chart.html`` writes them out as ``<rect>`` and ``<text>`` elements,
with a ``<title>`` on each bar for the exact figures and a table of the data under it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.formats import date_format

from ..services.activity import DailySeries

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 10, 24  # room for the axis labels
BAR_FILL = 0.72  # share of a day's slot taken by its bar


@dataclass(frozen=True)
class Segment:
    key: str
    label: str
    value: int
    y: float
    height: float
    style: str  # CSS class suffix: the colour


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    label: str
    total: int
    segments: list[Segment]

    @property
    def title(self) -> str:
        parts = ", ".join(f"{s.label} {s.value}" for s in self.segments)
        return f"{self.label}: {self.total}" + (f" ({parts})" if parts else "")


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class LegendItem:
    key: str
    label: str
    total: int
    style: str


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    ticks: list[Tick]
    x_labels: list[tuple[float, str]]
    legend: list[LegendItem]
    rows: list[tuple[str, list[int], int]]  # (day, one value per legend key, total): the table
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    baseline: int = HEIGHT - BOTTOM

    @property
    def is_empty(self) -> bool:
        return not any(bar.total for bar in self.bars)


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50... that is at least ``value`` (and at least 1)."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def stacked_bars(
    series: DailySeries, *, labels: dict[str, str], styles: dict[str, str], label_every: int = 5
) -> BarChart:
    """One bar per day, one segment per key with a value; keys keep ``series.keys`` order."""
    keys = [key for key in series.keys if series.total(key)] or list(series.keys)
    totals = series.day_totals()
    top = nice_ceiling(max(totals, default=0))
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(series.days))
    scale = plot_height / top

    bars = []
    for i, day in enumerate(series.days):
        y = float(HEIGHT - BOTTOM)
        segments = []
        for key in keys:
            value = series.values[key][i]
            if not value:
                continue
            height = value * scale
            y -= height
            segments.append(
                Segment(
                    key,
                    labels.get(key, key),
                    value,
                    round(y, 2),
                    round(height, 2),
                    styles.get(key, "other"),
                )
            )
        bars.append(
            Bar(
                x=round(LEFT + i * slot + slot * (1 - BAR_FILL) / 2, 2),
                width=round(slot * BAR_FILL, 2),
                label=date_format(day, "SHORT_DATE_FORMAT"),
                total=totals[i],
                segments=segments,
            )
        )
    ticks = [
        Tick(round(HEIGHT - BOTTOM - fraction * plot_height, 2), f"{round(top * fraction):g}")
        for fraction in (0, 0.5, 1)
        if fraction == 0 or top * fraction == int(top * fraction)
    ]
    # Label the last day and every ``label_every``-th day before it, so today is always named.
    last = len(series.days) - 1
    x_labels = [
        (round(LEFT + i * slot + slot / 2, 2), date_format(day, "j M"))
        for i, day in enumerate(series.days)
        if (last - i) % label_every == 0
    ]
    legend = [
        LegendItem(key, labels.get(key, key), series.total(key), styles.get(key, "other"))
        for key in keys
    ]
    rows = [
        (
            date_format(day, "SHORT_DATE_FORMAT"),
            [series.values[key][i] for key in keys],
            totals[i],
        )
        for i, day in enumerate(series.days)
    ]
    return BarChart(bars=bars, ticks=ticks, x_labels=x_labels, legend=legend, rows=rows)
