import logging

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from audit.models import Outcome
from audit.services import attempt_from_request, audit_record
from gateway_project.exceptions import NotFound
from tenants.authentication import TenantHeaderAuthentication
from tenants.permissions import ANY_TENANT_USER, Permission, permission_require
from tenants.rate_limits import rate_limit_check, tenant_limits, tool_limit
from tenants.scoping import TenantScopedViewSet
from tools.api_docs import invoke_docs, tool_list_docs
from tools.fingerprint import request_fingerprint
from tools.idempotency import IDEMPOTENCY_KEY_HEADER, REPLAYED_HEADER, idempotency_key_check
from tools.registry import Tool, registry
from tools.serializers import InvocationSerializer, ToolSerializer
from tools.services import Invocation, invocation_execute

logger = logging.getLogger(__name__)


class ToolCatalogViewSet(TenantScopedViewSet):
    """GET /v1/tools: what any user of the tenant may see of the registry."""

    required_permissions = {"list": ANY_TENANT_USER}

    @tool_list_docs
    def list(self, request):
        return Response(ToolSerializer(registry.all(), many=True).data)


class InvocationViewSet(TenantScopedViewSet):
    """POST /v1/tools/invoke.

    Every attempt whose tenant authenticated is audited: the service audits what
    happens once the key is claimed; `handle_exception` audits the rejections
    before that (403 as denied, anything else as error).
    """

    required_permissions = {"create": Permission.TOOLS_INVOKE}

    def get_authenticators(self):
        return [TenantHeaderAuthentication(extra_headers={IDEMPOTENCY_KEY_HEADER: idempotency_key_check})]

    # Every limit is checked in create(), once the tool is known: see _admit.
    throttle_classes: list = []

    @invoke_docs
    def create(self, request):
        tool, payload = self._admit(request)
        tool.validate_payload(payload)

        outcome = invocation_execute(
            invocation=Invocation(
                tenant=self.tenant,
                user=request.user,
                tool=tool,
                payload=payload,
                idempotency_key=request.headers[IDEMPOTENCY_KEY_HEADER],
                fingerprint=request_fingerprint(request.data),
                attempt=attempt_from_request(request),
            )
        )
        # The exact bytes stored under the key, so a replay is byte-for-byte the original.
        response = HttpResponse(outcome.body, status=outcome.status, content_type="application/json")
        if outcome.replayed:
            response[REPLAYED_HEADER] = "true"
        return response

    def _admit(self, request) -> tuple[Tool, dict]:
        """The tool and payload the body names, once the caller may call it now.

        Every attempt counts once against the user's and the tenant's limits, and, when it
        names a tool the caller may call, the tool's; all are checked before any is counted.
        An attempt refused before the tool is known (a malformed body, an unknown tool, the
        tool's own permission) still counts, so a flood of them is limited like any other.
        """
        limits = tenant_limits(self.tenant, request.user)
        try:
            body = InvocationSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            tool_name = body.validated_data["tool_name"]
            tool = registry.get(tool_name)
            if tool is None:
                raise NotFound(f"Tool '{tool_name}' not found", code="tool_not_found")
            permission_require(role=request.user.role, permission=tool.permission)
        except (APIException, RequestDataTooBig):
            rate_limit_check(limits)
            raise
        rate_limit_check([*limits, tool_limit(self.tenant, tool.name)])
        return tool, body.validated_data["payload"]

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if not getattr(exc, "audit_handled", False):
            try:
                self._audit_rejection(response)
            except Exception:
                # The answer is already decided; a lost audit row must at least be loud.
                logger.exception("Could not audit a rejected invocation (status %s)", response.status_code)
        return response

    def _audit_rejection(self, response) -> None:
        context = self.request._request.tenant_context.loaded
        if context is None or context.tenant is None:
            return  # the tenant never authenticated: nothing to attribute the attempt to
        if self.request.method != "POST":
            return  # a GET on the endpoint is not an invocation attempt
        body = self._body_if_parseable()
        tool_name = body.get("tool_name") if isinstance(body, dict) else None
        audit_record(
            tenant=context.tenant,
            user=context.user,
            # Refused for who the caller is or how often it calls: denied. Anything else: an error.
            outcome=Outcome.DENIED if response.status_code in (403, 429) else Outcome.ERROR,
            tool_name=tool_name if isinstance(tool_name, str) else "",
            attempt=attempt_from_request(self.request),
            idempotency_key=self.request.headers.get(IDEMPOTENCY_KEY_HEADER, ""),
            status_code=response.status_code,
            error_code=response.data.get("code", ""),
            payload_fingerprint=request_fingerprint(body) if body is not None else "",
        )

    def _body_if_parseable(self):
        """The parsed body, or None when it cannot be read: malformed, or over the size limit
        (Django then refuses every read of it, so the attempt is audited without a fingerprint)."""
        try:
            return self.request.data
        except (APIException, RequestDataTooBig):
            return None
