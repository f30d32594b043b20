"""RFC 3339 timestamps in and out: input must carry an offset, output is UTC with `Z`."""

from datetime import UTC, datetime


class TimestampError(ValueError):
    pass


def parse_aware_timestamp(text: object) -> datetime:
    """Parse an ISO 8601 / RFC 3339 timestamp with `Z` or an offset into a UTC datetime."""
    if not isinstance(text, str):
        raise TimestampError("Timestamp must be a string in RFC 3339 format, e.g. 2026-01-08T00:00:00Z.")
    try:
        # RFC 3339 allows a lower-case 't' and 'z'; Python's parser wants them upper-case.
        moment = datetime.fromisoformat(text.upper())
    except ValueError:
        if text[17:19] == "60":
            raise TimestampError("Leap seconds (:60) cannot be stored; use :59.999999.") from None
        raise TimestampError(f"'{text[:64]}' is not an RFC 3339 timestamp.") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise TimestampError("Timestamp must include a UTC offset or 'Z'.")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise TimestampError("Timestamp is out of range.") from None


def format_timestamp(moment: datetime) -> str:
    """UTC, `Z` suffix, fractional seconds only when non-zero: 2026-01-08T00:00:00Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
