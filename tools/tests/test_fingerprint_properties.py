"""Property tests: key order and whitespace never change a fingerprint; values always do."""

import json
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from tools.fingerprint import canonical_json, request_fingerprint

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
documents = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)


def reordered(document, rng: random.Random):
    """The same document with every object's keys in another order."""
    if isinstance(document, dict):
        items = list(document.items())
        rng.shuffle(items)
        return {key: reordered(value, rng) for key, value in items}
    if isinstance(document, list):
        return [reordered(item, rng) for item in document]
    return document


@settings(max_examples=300)
@given(documents, st.integers(min_value=0, max_value=2**32), st.sampled_from([None, 0, 2, 4]))
def test_key_order_and_whitespace_never_matter(document, seed, indent):
    sent = json.dumps(reordered(document, random.Random(seed)), indent=indent, ensure_ascii=bool(seed % 2))
    assert request_fingerprint(json.loads(sent)) == request_fingerprint(document)


@settings(max_examples=300)
@given(st.dictionaries(st.text(max_size=8), scalars, min_size=1, max_size=6), st.data())
def test_any_changed_value_changes_the_fingerprint(document, data):
    key = data.draw(st.sampled_from(sorted(document)))
    other = data.draw(scalars.filter(lambda value: json.dumps(value) != json.dumps(document[key])))
    assert request_fingerprint({**document, key: other}) != request_fingerprint(document)


@given(documents)
def test_canonical_json_is_compact_sorted_and_ascii(document):
    encoded = canonical_json(document)
    assert encoded.isascii()
    assert json.loads(encoded) == json.loads(json.dumps(document))
    assert canonical_json(json.loads(encoded)) == encoded
