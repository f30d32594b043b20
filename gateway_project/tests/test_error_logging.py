"""Every unhandled error is logged once, with its traceback and the id of the request it broke."""

import io
import logging

import pytest
from django.test import Client

from gateway_project.request_context import RequestIdLogFilter


@pytest.fixture
def server_log():
    """What the server's log handler would write: the request-id filter and a plain format, on the root logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s [%(request_id)s] %(message)s"))
    handler.addFilter(RequestIdLogFilter())
    handler.setLevel(logging.ERROR)
    logging.getLogger().addHandler(handler)
    try:
        yield stream
    finally:
        logging.getLogger().removeHandler(handler)


@pytest.mark.django_db
def test_a_console_error_is_logged_with_its_traceback_and_request_id(admin_user, monkeypatch, server_log):
    def broken(**kwargs):
        raise RuntimeError("the dashboard broke")

    monkeypatch.setattr("audit.views.dashboard_build", broken)
    console = Client(raise_request_exception=False)
    console.force_login(admin_user)

    response = console.get("/admin/dashboard/")

    assert response.status_code == 500
    log = server_log.getvalue()
    assert f"ERROR django.request [{response['X-Request-ID']}] Internal Server Error: /admin/dashboard/" in log
    assert "Traceback (most recent call last)" in log
    assert "RuntimeError: the dashboard broke" in log
    assert log.count("Traceback") == 1


@pytest.mark.django_db
def test_an_api_error_is_logged_once(api, acme_admin, server_log):
    response = api.post("/v1/tools/invoke", {"tool_name": "test_explode"}, format="json",
                        headers=acme_admin.headers(**{"Idempotency-Key": "boom"}))  # fmt: skip

    assert response.status_code == 500
    log = server_log.getvalue()
    assert f"[{response['X-Request-ID']}] Invocation of test_explode failed" in log
    assert "RuntimeError: secret internal detail" in log
    # Django's own request logger would add a second, traceback-less line for the same 500.
    assert "django.request" not in log
    assert log.count("Traceback") == 1
