"""Validation of a bulk-ingest body, point by point, without a serializer object per point.

The rules match the contract: 1..GATEWAY_MAX_POINTS_PER_BATCH points, each
`{"ts": <RFC 3339 with offset>, "value": <finite number>}`; errors name the index.
"""

import math
import re
from datetime import datetime

from django.conf import settings

from gateway_project.errors import ValidationFailed
from gateway_project.timestamps import TimestampError, parse_aware_timestamp

# Enough to fix a batch by; a 50,000-point batch of garbage should not echo 50,000 messages.
MAX_REPORTED_ERRORS = 100

# A fraction with a non-zero digit after the sixth. Python's parser drops those digits silently,
# and the store keeps microseconds: two distinct instants would be stored as one.
_FINER_THAN_A_MICROSECOND = re.compile(r"[.,]\d{6}\d*[1-9]", re.ASCII)


def _point_instant(text: object) -> datetime:
    """The UTC instant of a point's `ts`, refusing what the store would silently round."""
    instant = parse_aware_timestamp(text)
    # The cheap test first: most timestamps have no fraction at all.
    if ("." in text or "," in text) and _FINER_THAN_A_MICROSECOND.search(text):
        raise TimestampError("Timestamps are kept to the microsecond; drop the digits after the sixth fractional one.")
    return instant


def _value_error(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "Value must be a number."
    try:
        if not math.isfinite(float(value)):
            return "Value must be a finite number."
    except OverflowError:
        return "Value must be a finite number."
    return None


def _point_errors(index: int, point: object) -> dict[str, list[str]]:
    """Everything wrong with one point, keyed by its path; empty when it is fine."""
    if not isinstance(point, dict):
        return {f"points[{index}]": ["Expected an object with 'ts' and 'value'."]}
    missing = {f"points[{index}].{name}": ["This field is required."] for name in ("ts", "value") if name not in point}
    if missing:
        return missing
    try:
        _point_instant(point["ts"])
    except TimestampError as error:
        return {f"points[{index}].ts": [str(error)]}
    problem = _value_error(point["value"])
    return {f"points[{index}].value": [problem]} if problem else {}


def points_parse(body: object) -> list[tuple[datetime, float]]:
    """Return the batch as (UTC instant, value) pairs, or raise one 422 listing what is wrong.

    Ingest speed lives in this loop: a well-formed point (a dict, a parseable ts, a finite
    float) takes the short path; anything else is examined by _point_errors.
    """
    if not isinstance(body, dict):
        raise ValidationFailed({"body": ["Expected a JSON object with a 'points' array."]})
    points = body.get("points")
    limit = settings.GATEWAY_MAX_POINTS_PER_BATCH
    if not isinstance(points, list):
        raise ValidationFailed({"points": ["This field is required and must be an array."]})
    if not 1 <= len(points) <= limit:
        raise ValidationFailed({"points": [f"Send between 1 and {limit} points; got {len(points)}."]})

    parsed: list[tuple[datetime, float]] = []
    errors: dict[str, list[str]] = {}
    isfinite = math.isfinite
    for index, point in enumerate(points):
        try:
            ts, value = _point_instant(point["ts"]), point["value"]
            if type(value) is float and isfinite(value):
                parsed.append((ts, value))
                continue
        except (TypeError, KeyError, TimestampError):
            pass
        found = _point_errors(index, point)
        if found:
            errors.update(found)
            if len(errors) >= MAX_REPORTED_ERRORS:
                break
        else:
            parsed.append((_point_instant(point["ts"]), float(point["value"])))
    if errors:
        raise ValidationFailed(errors)
    return parsed
