"""Chart geometry holds for every finite value: no overflow, no division by zero, everything on the plot."""

import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gateway_project.charts import (
    HEIGHT,
    PAD_BOTTOM,
    PAD_LEFT,
    PAD_RIGHT,
    PAD_TOP,
    WIDTH,
    line_chart,
    nice_bounds,
    stacked_bar_chart,
)

LARGEST = sys.float_info.max
SMALLEST = 5e-324  # the smallest subnormal
PLOT_TOP, PLOT_BOTTOM = PAD_TOP, HEIGHT - PAD_BOTTOM
PLOT_LEFT, PLOT_RIGHT = PAD_LEFT, WIDTH - PAD_RIGHT

finite = st.floats(allow_nan=False, allow_infinity=False)
# Values from the edges of the float range, where the arithmetic breaks first, and ordinary ones.
edgy = st.sampled_from([LARGEST, -LARGEST, 1.7e308, -1e308, 1e308, SMALLEST, -SMALLEST, 0.0, -0.0, 1.0]) | finite
# The series from the issue, and equal values at every scale.
ISSUE_SERIES = [[-1e308, 1e308], [0.0, 1.7e308], [LARGEST, LARGEST], [-LARGEST, LARGEST], [-LARGEST, -LARGEST],
                [SMALLEST, SMALLEST], [0.0, SMALLEST], [-0.0, 0.0], [1e308, 1e308 + 2e292], [1e20, 1e20]]  # fmt: skip


def series(values: list[float]) -> list[tuple[datetime, float]]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [(start + timedelta(hours=index), value) for index, value in enumerate(values)]


def assert_ticks_are_sane(ticks):
    assert 2 <= len(ticks) <= 7
    assert all(PLOT_TOP <= tick.y <= PLOT_BOTTOM for tick in ticks)
    assert [tick.y for tick in ticks] == sorted((tick.y for tick in ticks), reverse=True)  # upwards, in order
    labels = [tick.label for tick in ticks]
    assert len(set(labels)) == len(labels), labels  # no two gridlines read the same


@given(st.lists(edgy, min_size=1, max_size=40))
@example([-1e308, 1e308])
@example([0.0, 1.7e308])
@example([LARGEST, LARGEST])
def test_a_line_chart_of_any_finite_values_stays_on_the_plot(values):
    chart = line_chart(series(values))

    coordinates = [tuple(map(float, pair.split(","))) for pair in chart.polyline.split()]
    assert len(coordinates) == len(values)
    assert all(PLOT_LEFT <= x <= PLOT_RIGHT and PLOT_TOP <= y <= PLOT_BOTTOM for x, y in coordinates)
    # A larger value is never drawn lower than a smaller one.
    for (_, y_a), a in zip(coordinates, values, strict=True):
        for (_, y_b), b in zip(coordinates, values, strict=True):
            if a < b:
                assert y_a >= y_b
    assert_ticks_are_sane(chart.ticks)
    assert chart.ticks[0].y == PLOT_BOTTOM and chart.ticks[-1].y == PLOT_TOP


@pytest.mark.parametrize("values", ISSUE_SERIES)
def test_the_series_from_the_issue_chart(values):
    chart = line_chart(series(values))
    assert len(chart.polyline.split()) == len(values)
    assert_ticks_are_sane(chart.ticks)


@given(edgy, edgy)
@example(-1e308, 1e308)
@example(0.0, 1.7e308)
@example(LARGEST, LARGEST)
@example(SMALLEST, SMALLEST)
def test_nice_bounds_cover_any_finite_pair_with_a_round_step(a, b):
    low, high, step = (Decimal(bound) for bound in nice_bounds(min(a, b), max(a, b)))

    assert low <= Decimal(min(a, b)) and Decimal(max(a, b)) <= high
    assert low < high
    mantissa = step.scaleb(-step.adjusted())
    assert mantissa in {1, 2, Decimal("2.5"), 5}
    assert low % step == 0 and high % step == 0
    assert (high - low) / step <= 4 + 2


counts = st.integers(min_value=0, max_value=2**63 - 1)  # a bigint count
columns = st.lists(
    st.tuples(st.text(max_size=6), st.fixed_dictionaries({}, optional={"success": counts, "error": counts})),
    max_size=31,
)


@given(columns)
@example([("Jan 01", {"success": 0}), ("Jan 02", {})])
@example([("Jan 01", {"success": 2**63 - 1, "error": 2**63 - 1})])
def test_a_bar_chart_of_any_counts_stays_on_the_plot(days):
    chart = stacked_bar_chart(days, ["success", "error"])

    assert len(chart.bars) == len(days)
    for bar, (_, day_counts) in zip(chart.bars, days, strict=True):
        assert bar.x >= PLOT_LEFT and bar.x + bar.width <= PLOT_RIGHT
        assert bar.total == sum(day_counts.values())
        for _, y, height, value in bar.segments:
            assert value > 0
            assert y >= PLOT_TOP and y + height <= PLOT_BOTTOM + 0.1 and height >= 0
    assert_ticks_are_sane(chart.ticks)
    assert chart.ticks[0].y == PLOT_BOTTOM and chart.ticks[-1].y == PLOT_TOP
