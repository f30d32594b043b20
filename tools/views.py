"""The REST channel of the tool catalogue and of invocation: headers in, HTTP out."""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from rest_framework import viewsets
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from audit.models import Channel
from audit.services import attempt_from_request
from gateway_project.api_views import ApiViewMixin
from gateway_project.errors import GatewayError, ValidationFailed
from gateway_project.exceptions import gateway_error_from, validation_errors
from tenants.api_access import TenantHeaderAuthentication, credential_headers_check
from tenants.permissions import ANY_TENANT_USER
from tenants.scoping import TenantScopedViewSet
from tools.api_docs import invoke_docs, tool_list_docs
from tools.fingerprint import request_fingerprint
from tools.idempotency import IDEMPOTENCY_KEY_HEADER, REPLAYED_HEADER
from tools.invocation import ToolRequest, invocation_attempt, invocation_caller_check
from tools.providers import tool_list
from tools.serializers import InvocationSerializer, ToolSerializer


class ToolCatalogViewSet(TenantScopedViewSet):
    """GET /v1/tools: the tools the tenant has, for any of its users."""

    required_permissions = {"list": ANY_TENANT_USER}

    @tool_list_docs
    def list(self, request):
        return Response(ToolSerializer(tool_list(tenant=self.tenant), many=True).data)


class InvocationViewSet(ApiViewMixin, viewsets.ViewSet):
    """POST /v1/tools/invoke: the pipeline (tools/invocation.py) decides, runs and audits; this only translates.

    The tenant headers are named for the OpenAPI document; DRF never runs the class, since
    the pipeline resolves the caller itself, in the contract's order.
    """

    authentication_classes = [TenantHeaderAuthentication]
    permission_classes: list = []
    throttle_classes: list = []

    def perform_authentication(self, request) -> None:
        pass  # the pipeline's job (DRF authenticates lazily when this does not touch request.user)

    @invoke_docs
    def create(self, request):
        credential_headers_check(request, extra=(IDEMPOTENCY_KEY_HEADER,))
        result = invocation_attempt(
            caller=request._request.tenant_context.get,
            idempotency_key=request.headers[IDEMPOTENCY_KEY_HEADER],
            read_request=lambda: _tool_request(request),
            attempt=attempt_from_request(request),
            channel=Channel.REST,
        )
        # The exact bytes stored under the key, so a replay is byte-for-byte the original.
        response = HttpResponse(result.body, status=result.status, content_type="application/json")
        if result.replayed:
            response[REPLAYED_HEADER] = "true"
        return response

    def http_method_not_allowed(self, request, *args, **kwargs):
        # GET, PUT, ... pass the checks of who is calling, then get 405: not attempts, so neither audited nor counted.
        credential_headers_check(request, extra=(IDEMPOTENCY_KEY_HEADER,))
        invocation_caller_check(
            caller=request._request.tenant_context.get, idempotency_key=request.headers[IDEMPOTENCY_KEY_HEADER]
        )
        return super().http_method_not_allowed(request, *args, **kwargs)


def _tool_request(request) -> ToolRequest:
    """The body as the pipeline wants it: the tool and payload it names, or why it cannot be served."""
    try:
        body = request.data
    except (APIException, GatewayError, RequestDataTooBig) as unreadable:
        # Not parseable, too large, too slow, another media type: no name, no fingerprint.
        return ToolRequest(problem=gateway_error_from(unreadable))
    fingerprint = request_fingerprint(body)
    shape = InvocationSerializer(data=body)
    if not shape.is_valid():
        named = body.get("tool_name") if isinstance(body, dict) else None
        return ToolRequest(
            tool_name=named if isinstance(named, str) else "",
            fingerprint=fingerprint,
            problem=ValidationFailed(validation_errors(shape.errors)),
        )
    return ToolRequest(
        tool_name=shape.validated_data["tool_name"], payload=shape.validated_data["payload"], fingerprint=fingerprint
    )
