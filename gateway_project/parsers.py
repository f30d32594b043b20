"""The JSON parser every endpoint uses: bounded, strict, and never a 500."""

import json
import math
import re

from django.conf import settings
from rest_framework.parsers import JSONParser

from gateway_project.errors import MalformedJSON, PayloadTooLarge

# A \uD800-\uDFFF escape may decode to a lone surrogate, which no database can store.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


class _NumberOutOfRange(ValueError):
    pass


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    # 1e400 would parse to inf, which no later step (fingerprint, storage, rendering) can hold.
    number = float(text)
    if not math.isfinite(number):
        raise _NumberOutOfRange(text)
    return number


def nesting_depth_exceeds(document, limit: int) -> bool:
    """True when arrays/objects nest deeper than `limit`.

    Level by level, not recursively, so deep input cannot blow the stack; json.loads
    yields exactly dict and list, so an exact type test is enough (and cheapest).
    """
    level, depth = [document], 0
    while level:
        depth += 1
        if depth > limit:
            return True
        below = []
        for value in level:
            if type(value) is dict:
                below.extend(child for child in value.values() if type(child) in (dict, list))
            elif type(value) is list:
                below.extend(child for child in value if type(child) in (dict, list))
        level = below
    return False


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')


def containers_outside_strings(raw: bytes) -> int:
    """How many arrays and objects a JSON text opens: its brackets, less those inside strings."""
    bare = _JSON_STRING.sub(b"", raw)
    return bare.count(b"[") + bare.count(b"{")


def has_lone_surrogate(document) -> bool:
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


class StrictJSONParser(JSONParser):
    """UTF-8 JSON only, within the body-size and nesting limits, without NaN/Infinity or lone surrogates."""

    def parse(self, stream, media_type=None, parser_context=None):
        # Django has already refused a declared Content-Length over DATA_UPLOAD_MAX_MEMORY_SIZE
        # (settings keep it equal to GATEWAY_MAX_BODY_BYTES); this bounds whatever reaches us.
        limit = settings.GATEWAY_MAX_BODY_BYTES
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise PayloadTooLarge(limit)
        if not raw:
            raise MalformedJSON("Request body is empty; send a JSON document")

        brackets = raw.count(b"[") + raw.count(b"{")
        max_containers = settings.GATEWAY_MAX_JSON_CONTAINERS
        # Refused before parsing: ten megabytes of "[]," would become 3.5 million lists (~300 MB).
        if brackets > max_containers and containers_outside_strings(raw) > max_containers:
            raise MalformedJSON(
                f"Request body holds more than {max_containers} arrays and objects", code="json_too_complex"
            )
        max_depth = settings.GATEWAY_MAX_JSON_DEPTH
        too_deep = MalformedJSON(f"Request body nests deeper than {max_depth} levels", code="json_too_deep")
        try:
            document = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant, parse_float=_finite_float)
        except _NumberOutOfRange:
            raise MalformedJSON("Request body has a number too large to represent") from None
        except UnicodeDecodeError:
            raise MalformedJSON("Request body is not valid UTF-8") from None
        except RecursionError:
            raise too_deep from None
        except ValueError:
            raise MalformedJSON() from None
        # Counting brackets is cheap; only a body that could be too deep is walked.
        if brackets > max_depth and nesting_depth_exceeds(document, max_depth):
            raise too_deep
        if _SURROGATE_ESCAPE.search(raw) and has_lone_surrogate(document):
            raise MalformedJSON("Request body contains an unpaired Unicode surrogate")
        return document
