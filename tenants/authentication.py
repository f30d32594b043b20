from collections.abc import Callable

from rest_framework.authentication import BaseAuthentication

from gateway_project.exceptions import DuplicateHeader, MissingHeader
from tenants.context import TENANT_HEADERS

HeaderCheck = Callable[[str], None]


class TenantHeaderAuthentication(BaseAuthentication):
    """Enforces the contract's order: headers present (400), tenant and key (401), user (403).

    `extra_headers` names further required headers in the order they are
    checked, each with a function that raises when its value is malformed.
    """

    def __init__(self, extra_headers: dict[str, HeaderCheck] | None = None):
        self.extra_headers = extra_headers or {}

    def authenticate(self, request):
        sent = _headers_sent_more_than_once(request)
        for header in (*TENANT_HEADERS, *self.extra_headers):
            if not request.headers.get(header, "").strip():
                raise MissingHeader(header)
            if header.lower() in sent:
                raise DuplicateHeader(header)
        for header, check in self.extra_headers.items():
            check(request.headers[header])
        context = request._request.tenant_context.get()
        if context.error is not None:
            raise context.error
        return context.user, context

    def authenticate_header(self, request) -> str:
        # Without a challenge DRF would turn our 401s into 403s.
        return 'ApiKey realm="gateway"'


def _headers_sent_more_than_once(request) -> set[str]:
    """Lower-case names of headers the client sent twice or more.

    Servers join repeated headers with commas before Django sees them, so two
    Idempotency-Keys "a" and "b" would read as one key "a,b". The ASGI server keeps the
    headers as sent (a2wsgi passes them on as `asgi.scope`), which is where this looks.
    """
    scope = request._request.META.get("asgi.scope")
    if scope is None:
        return set()
    names = [name.decode("latin-1").lower() for name, _ in scope.get("headers", ())]
    return {name for name in names if names.count(name) > 1}
