from datetime import UTC, datetime

import pytest

from gateway_project.timestamps import TimestampError, format_timestamp, parse_aware_timestamp


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2026-01-08T00:00:00Z", datetime(2026, 1, 8, tzinfo=UTC)),
        ("2026-01-08T02:00:00+02:00", datetime(2026, 1, 8, tzinfo=UTC)),
        ("2026-01-07T19:00:00-05:00", datetime(2026, 1, 8, tzinfo=UTC)),
        ("2026-01-08T00:00:00.5Z", datetime(2026, 1, 8, 0, 0, 0, 500000, tzinfo=UTC)),
        ("2026-01-08t00:00:00z", datetime(2026, 1, 8, tzinfo=UTC)),
        ("2026-01-08T00:00:00-00:00", datetime(2026, 1, 8, tzinfo=UTC)),
    ],
)
def test_parses_to_the_utc_instant(text, instant):
    assert parse_aware_timestamp(text) == instant


@pytest.mark.parametrize(
    "text", ["2026-01-08T00:00:00", "2026-01-08", "soon", "", 17, None, "0001-01-01T00:00:00+01:00"]
)
def test_rejects_what_is_not_an_aware_instant(text):
    with pytest.raises(TimestampError):
        parse_aware_timestamp(text)


def test_formats_utc_with_z_and_fraction_only_when_present():
    assert format_timestamp(datetime(2026, 1, 8, tzinfo=UTC)) == "2026-01-08T00:00:00Z"
    assert format_timestamp(datetime(2026, 1, 8, 0, 0, 0, 1, tzinfo=UTC)) == "2026-01-08T00:00:00.000001Z"


def test_leap_seconds_are_refused_with_a_reason():
    with pytest.raises(TimestampError, match="Leap seconds"):
        parse_aware_timestamp("2016-12-31T23:59:60Z")
