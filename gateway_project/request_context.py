"""Per-request context: an id on every log line and response, and one JSON access-log line per request."""

import contextvars
import logging
import time
import uuid

from gateway_project.client_ip import client_ip

REQUEST_ID_HEADER = "X-Request-ID"
_current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
access_log = logging.getLogger("gateway.access")


class RequestIdLogFilter(logging.Filter):
    """Stamps every log record with the id of the request being served (or '-')."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current_request_id.get()
        return True


class RequestContextMiddleware:
    """Gives each request an id (request.request_id, X-Request-ID) and logs it once, when answered.

    The access line names tenant and user when they authenticated, never the API key,
    the query string or the body.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4()
        request.started_at = time.monotonic()
        token = _current_request_id.set(str(request.request_id))
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = str(request.request_id)
            if access_log.isEnabledFor(logging.INFO):
                fields = _access_fields(request, response.status_code)
                access_log.info("{method} {path} {status} {duration_ms}ms".format(**fields), extra=fields)
            return response
        finally:
            _current_request_id.reset(token)


def elapsed_ms(request) -> int:
    return round((time.monotonic() - request.started_at) * 1000)


def _access_fields(request, status: int) -> dict:
    fields = {
        "method": request.method,
        "path": request.path[:200],
        "status": status,
        "duration_ms": elapsed_ms(request),
        "client_ip": client_ip(request),
    }
    context = getattr(getattr(request, "tenant_context", None), "loaded", None)
    if context is not None and context.tenant is not None:
        fields["tenant_id"] = str(context.tenant.id)
        fields["user_id"] = str(context.user.id) if context.user else None
    return fields
