"""Property tests for the timestamp and point parser."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway_project.errors import ValidationFailed
from gateway_project.timestamps import TimestampError, format_timestamp, parse_aware_timestamp
from kpis.points import points_parse

offsets = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
# Instants whose local time with any offset stays within years 2..9998.
aware = st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=offsets)
finite = st.floats(allow_nan=False, allow_infinity=False) | st.integers(min_value=-(2**53), max_value=2**53)


@settings(max_examples=400)
@given(aware)
def test_any_offset_parses_to_the_same_utc_instant(moment):
    parsed = parse_aware_timestamp(moment.isoformat())
    assert parsed == moment
    assert parsed.tzinfo == UTC


@given(aware)
def test_formatting_round_trips(moment):
    utc = moment.astimezone(UTC)
    assert parse_aware_timestamp(format_timestamp(utc)) == utc
    assert format_timestamp(utc).endswith("Z")


@given(st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31)))
def test_a_timestamp_without_an_offset_is_always_refused(naive):
    with pytest.raises(TimestampError):
        parse_aware_timestamp(naive.isoformat())


@given(st.text(max_size=40))
def test_arbitrary_text_is_an_aware_utc_instant_or_a_timestamp_error(text):
    try:
        parsed = parse_aware_timestamp(text)
    except TimestampError:
        return  # refused with a message, never another exception
    assert parsed.tzinfo == UTC


@settings(max_examples=200)
@given(st.lists(st.tuples(aware, finite), min_size=1, max_size=50))
def test_a_valid_batch_parses_point_for_point(points):
    body = {"points": [{"ts": moment.isoformat(), "value": value} for moment, value in points]}
    assert points_parse(body) == [(moment.astimezone(UTC), float(value)) for moment, value in points]


@settings(max_examples=200)
@given(
    st.lists(st.tuples(aware, finite), min_size=1, max_size=30),
    st.data(),
    st.sampled_from([{"ts": "2026-01-01T00:00:00"}, {"ts": "soon"}, {"value": "1"}, {"value": None}, {"ts": 5}]),
)
def test_one_bad_point_is_named_by_its_index(points, data, damage):
    body = {"points": [{"ts": moment.isoformat(), "value": value} for moment, value in points]}
    index = data.draw(st.integers(min_value=0, max_value=len(points) - 1))
    body["points"][index] = {**body["points"][index], **damage}

    with pytest.raises(ValidationFailed) as refused:
        points_parse(body)
    assert list(refused.value.errors) == [f"points[{index}].{next(iter(damage))}"]


def with_extra_fraction_digits(moment: datetime, digits: str) -> str:
    """`moment` in RFC 3339 with six fractional digits, then `digits` more."""
    text = moment.isoformat(timespec="microseconds")
    cut = text.index(".") + 7
    return text[:cut] + digits + text[cut:]


@settings(max_examples=200)
@given(st.lists(aware, min_size=1, max_size=20), st.data(), st.text(alphabet="0123456789", min_size=1, max_size=12))
def test_digits_beyond_a_microsecond_are_refused_unless_zeros(moments, data, extra):
    index = data.draw(st.integers(min_value=0, max_value=len(moments) - 1))
    points = [{"ts": moment.isoformat(), "value": 1.0} for moment in moments]
    points[index]["ts"] = with_extra_fraction_digits(moments[index], extra)

    if set(extra) == {"0"}:
        assert points_parse({"points": points})[index] == (moments[index].astimezone(UTC), 1.0)
    else:
        with pytest.raises(ValidationFailed) as refused:
            points_parse({"points": points})
        assert list(refused.value.errors) == [f"points[{index}].ts"]


@pytest.mark.django_db
@given(aware)
def test_the_fast_datetime_adapter_stores_what_djangos_would(moment):
    from django.db import connection

    from gateway_project.db import utc_datetime_adapter

    utc = moment.astimezone(UTC)
    assert utc_datetime_adapter()(utc) == connection.ops.adapt_datetimefield_value(utc)
