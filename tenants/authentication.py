from collections.abc import Callable

from rest_framework.authentication import BaseAuthentication

from gateway_project.exceptions import MissingHeader
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
        for header in (*TENANT_HEADERS, *self.extra_headers):
            if not request.headers.get(header, "").strip():
                raise MissingHeader(header)
        for header, check in self.extra_headers.items():
            check(request.headers[header])
        context = request._request.tenant_context.get()
        if context.error is not None:
            raise context.error
        return context.user, context

    def authenticate_header(self, request) -> str:
        # Without a challenge DRF would turn our 401s into 403s.
        return 'ApiKey realm="gateway"'
