"""Hostile or broken bodies get a clear 4xx with the JSON error shape, never a 500."""

import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway_project.errors import MalformedJSON
from gateway_project.parsers import (
    StrictJSONParser,
    containers_outside_strings,
    has_lone_surrogate,
    nesting_depth_exceeds,
)


@pytest.fixture
def post(api, acme_admin):
    def send(body: bytes, **extra):
        return api.post("/v1/kpis", body, content_type="application/json", headers=acme_admin.headers(), **extra)

    return send


@pytest.mark.django_db
class TestBodies:
    @pytest.mark.parametrize("body", [b"{", b"[1,]", b"{'single': 1}", b"\xff\xfe{}", b"nul"])
    def test_unparseable_is_400(self, post, body):
        response = post(body)
        assert response.status_code == 400
        assert response.json()["code"] == "malformed_json"

    def test_invalid_utf8_says_so(self, post):
        assert post(b'{"name": "\xc3\x28"}').json()["detail"] == "Request body is not valid UTF-8"

    @pytest.mark.parametrize("number", [b"1e400", b"-1e400", b"[1.5e309]"])
    def test_float_beyond_a_double_is_400_wherever_it_sits(self, post, number):
        # Even in a field no endpoint reads: the whole body is fingerprinted and may be echoed.
        response = post(b'{"name": "MRR", "unused": ' + number + b"}")
        assert response.status_code == 400
        assert response.json()["detail"] == "Request body has a number too large to represent"

    def test_lone_surrogate_is_400(self, post):
        response = post(b'{"name": "\\ud800"}')
        assert response.status_code == 400
        assert "surrogate" in response.json()["detail"]

    def test_paired_surrogates_are_fine(self, post):
        response = post(b'{"name": "rocket \\ud83d\\ude80"}')
        assert response.status_code == 201
        assert response.json()["name"] == "rocket \U0001f680"

    def test_body_over_the_limit_is_413(self, post, settings):
        settings.GATEWAY_MAX_BODY_BYTES = 1024
        response = post(b'{"name": "' + b"x" * 2000 + b'"}')

        assert response.status_code == 413
        assert response.json() == {
            "detail": "Request body exceeds the limit of 1024 bytes",
            "code": "payload_too_large",
        }

    def test_body_over_djangos_read_limit_is_413_too(self, post, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
        response = post(b'{"name": "' + b"x" * 4000 + b'"}')

        assert response.status_code == 413
        assert response.json()["detail"] == "Request body exceeds the limit of 2048 bytes"

    def test_the_two_read_limits_start_equal(self, settings):
        assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == settings.GATEWAY_MAX_BODY_BYTES

    def test_body_at_the_limit_is_read(self, post, settings):
        settings.GATEWAY_MAX_BODY_BYTES = 1024
        body = b'{"name": "MRR", "description": "' + b"x" * 1024 + b'"}'
        body = body[: 1024 - 2] + b'"}'
        assert len(body) == 1024
        assert post(body).status_code == 201

    def test_nesting_beyond_the_limit_is_400(self, post, settings):
        settings.GATEWAY_MAX_JSON_DEPTH = 8
        response = post(b'{"name": "a", "x": ' + b"[" * 8 + b"]" * 8 + b"}")

        assert response.status_code == 400
        assert response.json()["code"] == "json_too_deep"

    def test_nesting_within_the_limit_is_fine(self, post, settings):
        settings.GATEWAY_MAX_JSON_DEPTH = 8
        assert post(b'{"name": "a", "x": ' + b"[" * 7 + b"]" * 7 + b"}").status_code == 201

    def test_nesting_that_would_exhaust_the_stack_is_400(self, post):
        response = post(b"[" * 100_000 + b"]" * 100_000)
        assert response.status_code == 400
        assert response.json()["code"] == "json_too_deep"

    def test_more_arrays_and_objects_than_the_limit_is_400_before_parsing(self, post, settings):
        settings.GATEWAY_MAX_JSON_CONTAINERS = 10
        response = post(b'{"name": "a", "x": [' + b",".join([b"[]"] * 10) + b"]}")

        assert response.status_code == 400
        assert response.json() == {
            "detail": "Request body holds more than 10 arrays and objects",
            "code": "json_too_complex",
        }

    def test_brackets_inside_strings_are_not_containers(self, post, settings):
        settings.GATEWAY_MAX_JSON_CONTAINERS = 10
        response = post(json.dumps({"name": "a", "description": '[{"\\' * 100}).encode())
        assert response.status_code == 201

    def test_the_container_limit_leaves_room_for_a_full_batch(self, settings):
        # One object per point, the points array and the body itself.
        assert settings.GATEWAY_MAX_JSON_CONTAINERS >= settings.GATEWAY_MAX_POINTS_PER_BATCH + 2

    def test_other_media_types_are_415(self, api, acme_admin):
        response = api.post("/v1/kpis", "name=MRR", content_type="text/plain", headers=acme_admin.headers())
        assert response.status_code == 415
        assert response.json()["code"] == "unsupported_media_type"


def test_nesting_depth_counts_containers():
    assert not nesting_depth_exceeds({"a": [1, {"b": 2}]}, 3)
    assert nesting_depth_exceeds({"a": [1, {"b": []}]}, 3)
    assert not nesting_depth_exceeds(7, 1)


def test_lone_surrogates_are_found_in_keys_and_values():
    assert has_lone_surrogate({"\ud800": 1})
    assert has_lone_surrogate([{"a": ["\udfff"]}])
    assert not has_lone_surrogate({"a": ["\U0001f680", 1, None]})


def test_no_bytes_is_not_a_json_document():
    with pytest.raises(MalformedJSON, match="^Request body is empty; send a JSON document$"):
        StrictJSONParser().parse(io.BytesIO(b""))


json_documents = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\\\ab,:\u00e9'),
    lambda children: st.lists(children) | st.dictionaries(st.text(alphabet='[]{}"\\\\a'), children),
)


def _containers(document) -> int:
    if isinstance(document, list):
        return 1 + sum(_containers(item) for item in document)
    if isinstance(document, dict):
        return 1 + sum(_containers(value) for value in document.values())
    return 0


@given(json_documents, st.booleans())
def test_containers_are_counted_outside_strings_exactly(document, ascii_only):
    raw = json.dumps(document, ensure_ascii=ascii_only).encode()
    assert containers_outside_strings(raw) == _containers(document)
