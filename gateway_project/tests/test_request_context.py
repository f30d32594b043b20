"""Every response carries its request id; every request leaves one access-log line, never a secret."""

import json
import logging
import uuid

import pytest
from pythonjsonlogger.json import JsonFormatter

from audit.models import AuditLog
from gateway_project.request_context import RequestIdLogFilter


@pytest.mark.django_db
def test_every_response_names_its_request(api):
    first, second = api.get("/healthz"), api.get("/healthz")
    assert uuid.UUID(first["X-Request-ID"]) != uuid.UUID(second["X-Request-ID"])


@pytest.mark.django_db
def test_the_invocation_shares_the_request_id(api, acme_admin):
    response = api.post(
        "/v1/tools/invoke", {"tool_name": "echo"}, format="json", headers=acme_admin.headers(**{"Idempotency-Key": "k"})
    )
    assert response.json()["request_id"] == response["X-Request-ID"]
    assert str(AuditLog.objects.get().request_id) == response["X-Request-ID"]


@pytest.mark.django_db
def test_access_log_names_tenant_and_user_but_never_the_key_or_the_body(api, acme_admin, caplog):
    secret_payload = {"text": "confidential-payload-marker"}
    with caplog.at_level(logging.INFO, logger="gateway.access"):
        response = api.post(
            "/v1/tools/invoke?token=query-marker",
            {"tool_name": "echo", "payload": secret_payload},
            format="json",
            headers=acme_admin.headers(**{"Idempotency-Key": "k"}),
        )
    (record,) = [r for r in caplog.records if r.name == "gateway.access"]
    assert (record.method, record.path, record.status) == ("POST", "/v1/tools/invoke", 200)
    assert record.tenant_id == str(acme_admin.tenant.id)
    assert record.user_id == str(acme_admin.user.id)
    assert isinstance(record.duration_ms, int)
    everything = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert acme_admin.api_key not in everything
    assert "confidential-payload-marker" not in everything
    assert "query-marker" not in everything
    assert response.status_code == 200


def test_json_log_lines_carry_the_request_id(capsys):
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"))
    handler.addFilter(RequestIdLogFilter())
    logger = logging.getLogger("gateway.test-json")
    logger.addHandler(handler)
    try:
        logger.warning("something happened", extra={"status": 503})
    finally:
        logger.removeHandler(handler)
    line = json.loads(capsys.readouterr().err.strip())
    assert line["message"] == "something happened"
    assert line["request_id"] == "-"  # outside a request
    assert line["status"] == 503
