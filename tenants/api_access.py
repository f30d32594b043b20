"""The tenant rules as DRF classes on the REST views: authentication, the role table and the rate limits.

The rules themselves live in tenants.context, tenants.permissions and tenants.rate_limits;
these classes only put them in the order DRF runs them. Invocation does not use them: its
pipeline (tools/invocation.py) runs the same rules itself, for every channel.
"""

from collections import Counter

from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.throttling import BaseThrottle

from gateway_project.errors import DuplicateHeader, Forbidden, InvalidHeader, MissingHeader
from tenants.api_keys import is_principal_key
from tenants.context import (
    API_KEY_HEADER,
    AUTHORIZATION_HEADER,
    TENANT_HEADERS,
    TENANT_ID_HEADER,
    USER_ID_HEADER,
    bearer_token,
)
from tenants.permissions import ANY_TENANT_USER, Requirement, permission_require, service_key_check
from tenants.rate_limits import rate_limit_check, tenant_limits


def credential_headers_check(request, extra=()) -> None:
    """The headers the caller's kind of key needs, then `extra`, each in the contract's order: present and not
    blank (400 missing_header), sent once (400 duplicate_header).

    The tenant key: X-Tenant-ID, X-User-ID, X-API-Key, as in Phase 0. A principal key in X-API-Key: X-Tenant-ID
    and X-API-Key (X-User-ID may be left out: the key names its user). A principal key as `Authorization: Bearer`:
    none (the key names its tenant too). Headers sent but not needed must still be sent once.
    """
    bearer = bearer_token(request.headers)
    if bearer is not None:
        if not bearer:
            raise InvalidHeader(AUTHORIZATION_HEADER, "Bearer needs the API key after it")
        if request.headers.get(API_KEY_HEADER, "").strip():
            raise InvalidHeader(AUTHORIZATION_HEADER, "send the key once, as a bearer token or in X-API-Key")
    principal = bearer is not None or is_principal_key(request.headers.get(API_KEY_HEADER, "").strip())
    needed = [
        header
        for header in TENANT_HEADERS
        if not (bearer is not None and header in (TENANT_ID_HEADER, API_KEY_HEADER))
        and not (principal and header == USER_ID_HEADER)
    ]
    optional = [header for header in (*TENANT_HEADERS, AUTHORIZATION_HEADER) if header not in needed]
    repeated = _headers_sent_more_than_once(request)
    for header in (*needed, *extra):
        if not request.headers.get(header, "").strip():
            raise MissingHeader(header)
        if header.lower() in repeated:
            raise DuplicateHeader(header)
    for header in optional:
        if header.lower() in repeated:
            raise DuplicateHeader(header)


def _headers_sent_more_than_once(request) -> set[str]:
    """Lower-case names of headers the client sent twice or more.

    Servers join repeated headers with commas before Django sees them, so two
    Idempotency-Keys "a" and "b" would read as one key "a,b". The ASGI server keeps the
    headers as sent (a2wsgi passes them on as `asgi.scope`), which is where this looks.
    """
    scope = request.META.get("asgi.scope")
    if scope is None:
        return set()
    sent = Counter(name.decode("latin-1").lower() for name, _ in scope.get("headers", ()))
    return {name for name, times in sent.items() if times > 1}


class TenantHeaderAuthentication(BaseAuthentication):
    """The contract's order: headers present (400), tenant and key (401), suspension and user (403)."""

    def authenticate(self, request):
        credential_headers_check(request)
        context = request._request.tenant_context.get()
        if context.error is not None:
            raise context.error
        return context.user, context

    def authenticate_header(self, request) -> str:
        # Without a challenge DRF would turn a 401 into a 403.
        return 'ApiKey realm="gateway"'


class HasRolePermission(BasePermission):
    """Allows an action when the tenant user's role holds `view.required_permissions[action]`.

    Each entry is a Requirement (a permission and the 403's words for the action), a bare
    Permission (its words from PERMISSION_ACTIONS) or ANY_TENANT_USER. An action missing from
    the view's table is refused: permissions fail closed. Before the role, the tenant key is
    refused where its tenant does not let it act as users, unless the view lists the action
    in `administering_actions` (creating users and keys).
    """

    def has_permission(self, request, view) -> bool:
        if view.action in (None, "metadata"):
            # No handler for this method: DRF answers 405 next. (OPTIONS never gets here: the
            # views' ApiViewMixin answers it before authentication.)
            return True
        required = view.required_permissions
        if view.action not in required:
            raise Forbidden(f"Action '{view.action}' is not open to any role", code="permission_denied")
        service_key_check(request.auth, administering=view.action in getattr(view, "administering_actions", ()))
        entry = required[view.action]
        if isinstance(entry, Requirement):
            permission_require(role=request.user.role, permission=entry.permission, action=entry.action)
        elif entry is not ANY_TENANT_USER:
            permission_require(role=request.user.role, permission=entry)
        return True


class TenantRateThrottle(BaseThrottle):
    """The user's and the tenant's limits, checked after authentication and the role."""

    def allow_request(self, request, view) -> bool:
        rate_limit_check(tenant_limits(request.auth.tenant, request.user))
        return True
