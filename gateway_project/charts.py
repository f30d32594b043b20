"""Chart geometry for server-drawn SVG: Python computes coordinates, templates draw them.

No JavaScript and no outside network: the admin renders the numbers as shapes.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

WIDTH, HEIGHT = 720, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 12, 12, 28


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    polyline: str
    ticks: list[Tick]
    first_label: str
    last_label: str
    plot_left: int
    plot_right: int
    plot_bottom: int


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    segments: list[tuple[str, float, float, int]]  # (series, y, height, value)
    label: str
    total: int


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    series: list[str]
    plot_left: int
    plot_right: int
    plot_bottom: int


def _format_number(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if abs(value) >= 10_000:
        return f"{value / 1_000:.0f}k"
    if value == int(value):
        return f"{int(value)}"
    return f"{value:.4g}"


def nice_bounds(low: float, high: float, count: int = 4) -> tuple[float, float, float]:
    """Round axis bounds and a step of 1, 2, 2.5 or 5 times a power of ten covering [low, high]."""
    raw_step = (high - low) / count or 1.0
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw_step)
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def _ticks(low: float, high: float, step: float, to_y) -> list[Tick]:
    count = round((high - low) / step)
    values = [low + step * index for index in range(count + 1)]
    return [Tick(y=round(to_y(value), 1), label=_format_number(value)) for value in values]


def downsample(points: Sequence, limit: int) -> list:
    """At most `limit` points, evenly spaced, always keeping the first and the last."""
    if len(points) <= limit:
        return list(points)
    stride = (len(points) - 1) / (limit - 1)
    return [points[round(index * stride)] for index in range(limit)]


def line_chart(points: Sequence[tuple[datetime, float]]) -> LineChart | None:
    """A time series as one polyline; None when there is nothing to draw."""
    if not points:
        return None
    first_ts, last_ts = points[0][0], points[-1][0]
    span = (last_ts - first_ts).total_seconds() or 1.0
    values = [value for _, value in points]
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 1, high + 1
    low, high, step = nice_bounds(low, high)
    plot_width = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_height = HEIGHT - PAD_TOP - PAD_BOTTOM

    def to_x(ts: datetime) -> float:
        return PAD_LEFT + (ts - first_ts).total_seconds() / span * plot_width

    def to_y(value: float) -> float:
        return PAD_TOP + (high - value) / (high - low) * plot_height

    return LineChart(
        width=WIDTH,
        height=HEIGHT,
        polyline=" ".join(f"{to_x(ts):.1f},{to_y(value):.1f}" for ts, value in points),
        ticks=_ticks(low, high, step, to_y),
        first_label=first_ts.strftime("%Y-%m-%d"),
        last_label=last_ts.strftime("%Y-%m-%d"),
        plot_left=PAD_LEFT,
        plot_right=WIDTH - PAD_RIGHT,
        plot_bottom=HEIGHT - PAD_BOTTOM,
    )


def stacked_bar_chart(columns: Sequence[tuple[str, dict[str, int]]], series: Sequence[str]) -> BarChart:
    """One bar per column (e.g. per day), stacked by series in the order given."""
    _, highest, step = nice_bounds(0, max((sum(counts.values()) for _, counts in columns), default=0) or 1)
    plot_width = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_height = HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = plot_width / max(len(columns), 1)

    def to_y(value: float) -> float:
        return PAD_TOP + (highest - value) / highest * plot_height

    bars = []
    for index, (label, counts) in enumerate(columns):
        base = 0
        segments = []
        for name in series:
            value = counts.get(name, 0)
            if value:
                top = to_y(base + value)
                segments.append((name, round(top, 1), round(to_y(base) - top, 1), value))
            base += value
        bars.append(Bar(x=round(PAD_LEFT + index * slot + slot * 0.1, 1), width=round(slot * 0.8, 1),
                        segments=segments, label=label, total=base))  # fmt: skip
    return BarChart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        ticks=_ticks(0, highest, step, to_y),
        series=list(series),
        plot_left=PAD_LEFT,
        plot_right=WIDTH - PAD_RIGHT,
        plot_bottom=HEIGHT - PAD_BOTTOM,
    )
