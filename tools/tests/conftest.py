import pytest


@pytest.fixture
def invoke(api):
    """POST /v1/tools/invoke as `actor` with `key`; the body defaults to an echo."""

    def send(actor, body=None, *, key="key-1", **extra_headers):
        body = {"tool_name": "echo", "payload": {"text": "hi"}} if body is None else body
        headers = actor.headers(**{"Idempotency-Key": key, **extra_headers})
        if isinstance(body, bytes):
            return api.post("/v1/tools/invoke", body, content_type="application/json", headers=headers)
        return api.post("/v1/tools/invoke", body, format="json", headers=headers)

    return send


@pytest.fixture
def upstream(settings):
    """A real upstream on 127.0.0.1 (allowlisted for the test), with every circuit closed."""
    from tools.tests.upstream_server import Upstream
    from tools.upstream import breaker

    settings.GATEWAY_UPSTREAM_ALLOWED_HOSTS = ["127.0.0.1"]
    breaker.reset()
    server = Upstream()
    yield server
    server.stop()
    breaker.reset()
