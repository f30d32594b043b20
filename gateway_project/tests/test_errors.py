"""Errors outside the happy path keep the contract's shape: unknown URLs, wrong methods, a dead database."""

import pytest
from django.db import DatabaseError
from rest_framework.exceptions import ValidationError

from gateway_project.exceptions import api_exception_handler, validation_errors


@pytest.mark.django_db
def test_unknown_url_is_json_404(api):
    response = api.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_wrong_method_is_json_405(api, acme_admin):
    response = api.delete("/v1/kpis", headers=acme_admin.headers())
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "DELETE" not allowed.', "code": "method_not_allowed"}


@pytest.mark.django_db
def test_healthz_is_200_when_the_database_answers(api):
    response = api.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_does_not(api, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr("gateway_project.health.connection.cursor", broken_cursor)
    response = api.get("/healthz")
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"


def test_validation_errors_flatten_to_paths():
    nested = {
        "points": {3: {"ts": ["bad"]}},
        "name": ["required"],
        "non_field_errors": ["whole body"],
        "items": [{}, {"value": ["nope"]}],
    }
    assert validation_errors(nested) == {
        "points[3].ts": ["bad"],
        "name": ["required"],
        "body": ["whole body"],
        "items[1].value": ["nope"],
    }


def test_422_detail_names_the_first_error_and_counts_the_rest():
    response = api_exception_handler(ValidationError({"a": ["one", "two"], "b": ["three"]}), {})
    assert response.status_code == 422
    assert response.data["detail"] == "Validation failed: a: one (and 2 more)"


def test_unexpected_exceptions_become_a_bare_500():
    response = api_exception_handler(KeyError("internal"), {"view": None})
    assert response.status_code == 500
    assert response.data == {"detail": "Internal server error", "code": "server_error"}


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_healthz_other_methods_are_json_405(api, method):
    response = getattr(api, method)("/healthz")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.django_db
def test_options_answers_the_allowed_methods_not_a_permission_error(api, acme_member):
    # It used to be a 405 whose own Allow header listed OPTIONS (issue 9, item 9).
    response = api.options("/v1/kpis", headers=acme_member.headers())
    assert response.status_code == 200
    assert response["Allow"] == "GET, POST, HEAD, OPTIONS"


@pytest.mark.django_db
def test_chunked_body_without_length_is_411(api):
    response = api.generic(
        "POST", "/v1/tenants", b"", content_type="application/json", HTTP_TRANSFER_ENCODING="chunked"
    )
    assert response.status_code == 411
    assert response.json()["code"] == "length_required"
