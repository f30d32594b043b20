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
