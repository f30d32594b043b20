"""Chart geometry for server-drawn SVG: Python computes coordinates, templates draw them.

No JavaScript and no outside network: the admin renders the numbers as shapes.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Context, Decimal, localcontext

WIDTH, HEIGHT = 720, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 12, 12, 28
LABEL_CHARS = 8  # what fits left of the plot at the labels' font size
NICE_MULTIPLES = (1, 2, Decimal("2.5"), 5, 10)
# Axis arithmetic is decimal: every finite float converts to it exactly, and its exponents reach
# +-999999, so no span, step or bound of finite values overflows, underflows or divides by zero (a
# float axis from 0 to 1.7e308 would end at 2e308, which is no float). Bounds are exact multiples
# of the step, at most ~20 digits; 40 digits leave coordinates far finer than a pixel.
AXIS_CONTEXT = Context(prec=40)


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


def _format_number(value: Decimal) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if abs(value) >= 10_000:
        return f"{value / 1_000:.0f}k"
    if value == int(value):
        return f"{int(value)}"
    return f"{value:.4g}"


def _tick_labels(values: list[Decimal]) -> list[str]:
    """Short labels (12k, 1.5M) when they tell every gridline apart and fit beside the axis;
    otherwise each value exactly, in the shorter of its two spellings (1e+308, 10000000001)."""
    short = [_format_number(value) for value in values]
    if len(set(short)) == len(short) and all(len(label) <= LABEL_CHARS for label in short):
        return short
    return [min(f"{value:f}", f"{value:g}", key=len) for value in values]


def _floor_multiple(value: Decimal, step: Decimal) -> Decimal:
    whole = value // step  # the integer part of the exact quotient, truncated towards zero
    if whole * step > value:
        whole -= 1
    return whole * step + 0  # + 0: never a negative zero


def _ceil_multiple(value: Decimal, step: Decimal) -> Decimal:
    whole = value // step
    if whole * step < value:
        whole += 1
    return whole * step + 0


def nice_bounds(low: float, high: float, count: int = 4) -> tuple[Decimal, Decimal, Decimal]:
    """Axis bounds, multiples of a step of 1, 2, 2.5 or 5 times a power of ten, around [low, high].

    For any finite low and high: the bounds cover both, are distinct (equal values get a margin)
    and are at most count + 2 steps apart.
    """
    with localcontext(AXIS_CONTEXT):
        low, high = sorted((Decimal(low), Decimal(high)))
        if low == high:
            # A flat series sits mid-axis: a unit either side, or a thousandth of a value past 1000
            # (a unit added to 1e308 would vanish in the rounding).
            margin = max(Decimal(1), abs(low) / 1000)
            low, high = low - margin, high + margin
        raw_step = (high - low) / count
        magnitude = Decimal(1).scaleb(raw_step.adjusted())  # the power of ten at or below raw_step, exactly
        step = next(multiple * magnitude for multiple in NICE_MULTIPLES if multiple * magnitude >= raw_step)
        return _floor_multiple(low, step), _ceil_multiple(high, step), step


def _ticks(low: Decimal, high: Decimal, step: Decimal, to_y) -> list[Tick]:
    values = [(low + step * index).normalize() for index in range(int((high - low) / step) + 1)]
    return [
        Tick(y=round(to_y(value), 1), label=label) for value, label in zip(values, _tick_labels(values), strict=True)
    ]


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
    plot_width = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_height = HEIGHT - PAD_TOP - PAD_BOTTOM
    with localcontext(AXIS_CONTEXT):
        low, high, step = nice_bounds(min(values), max(values))

        def to_x(ts: datetime) -> float:
            return PAD_LEFT + (ts - first_ts).total_seconds() / span * plot_width

        def to_y(value: float | Decimal) -> float:
            return float(PAD_TOP + (high - Decimal(value)) / (high - low) * plot_height)

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
    tallest = max((sum(counts.values()) for _, counts in columns), default=0)
    plot_width = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_height = HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = plot_width / max(len(columns), 1)
    with localcontext(AXIS_CONTEXT):
        _, highest, step = nice_bounds(0, max(tallest, 1))

        def to_y(value: int | Decimal) -> float:
            return float(PAD_TOP + (highest - value) / highest * plot_height)

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
            ticks=_ticks(Decimal(0), highest, step, to_y),
            series=list(series),
            plot_left=PAD_LEFT,
            plot_right=WIDTH - PAD_RIGHT,
            plot_bottom=HEIGHT - PAD_BOTTOM,
        )
