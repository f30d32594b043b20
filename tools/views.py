"""The REST channel of the tool catalogue and of invocation: headers in, HTTP out."""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from rest_framework import viewsets
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from audit.models import Channel
from audit.services import attempt_from_request
from gateway_project.api_views import ApiViewMixin
from gateway_project.errors import GatewayError, NotFound, ValidationFailed
from gateway_project.exceptions import gateway_error_from, validation_errors
from tenants.api_access import TenantHeaderAuthentication, credential_headers_check
from tenants.context import TenantContext
from tenants.models import PrincipalKey, TenantUser, ToolPolicy
from tenants.permissions import ANY_TENANT_USER, Permission
from tenants.scoping import TenantScopedViewSet
from tenants.tool_policy import tool_policy_clear, tool_policy_set
from tools.access import access_explain, tools_callable
from tools.api_docs import (
    access_docs,
    http_tool_create_docs,
    http_tool_destroy_docs,
    http_tool_list_docs,
    http_tool_retrieve_docs,
    http_tool_update_docs,
    invoke_docs,
    secret_destroy_docs,
    secret_list_docs,
    secret_update_docs,
    tool_list_docs,
    tool_policy_destroy_docs,
    tool_policy_list_docs,
    tool_policy_update_docs,
)
from tools.fingerprint import request_fingerprint
from tools.http_tools import http_tool_create, http_tool_delete, http_tool_update
from tools.idempotency import IDEMPOTENCY_KEY_HEADER, REPLAYED_HEADER
from tools.invocation import ToolRequest, invocation_attempt, invocation_caller_check
from tools.models import HttpTool, VaultSecret
from tools.providers import tool_resolve
from tools.serializers import (
    AccessExplanationSerializer,
    AccessQuerySerializer,
    HttpToolSerializer,
    InvocationSerializer,
    SecretValueSerializer,
    ToolPolicySerializer,
    ToolSerializer,
    VaultSecretSerializer,
    definition_fields,
)
from tools.vault import secret_delete, secret_store


class ToolCatalogViewSet(TenantScopedViewSet):
    """GET /v1/tools: exactly the tools the caller may call (tools/access.py), for any user of the tenant."""

    required_permissions = {"list": ANY_TENANT_USER}

    @tool_list_docs
    def list(self, request):
        return Response(ToolSerializer(tools_callable(request.auth), many=True).data)


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


class ToolPolicyViewSet(TenantScopedViewSet):
    """/v1/tool-policies: the tenant's own rule per tool (enabled, which roles); no rule: the tool's definition."""

    queryset = ToolPolicy.objects.all()
    lookup_url_kwarg = "tool_name"
    lookup_value_regex = "[^/]+"
    required_permissions = dict.fromkeys(("list", "update", "destroy"), Permission.ACCESS_MANAGE)
    administering_actions = ("list", "update", "destroy")

    @tool_policy_list_docs
    def list(self, request):
        return Response(ToolPolicySerializer(self.get_queryset(), many=True).data)

    @tool_policy_update_docs
    def update(self, request, tool_name: str):
        body = ToolPolicySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        policy = tool_policy_set(tenant=self.tenant, tool_name=tool_name, **body.validated_data)
        return Response(ToolPolicySerializer(policy).data)

    @tool_policy_destroy_docs
    def destroy(self, request, tool_name: str):
        if not tool_policy_clear(tenant=self.tenant, tool_name=tool_name):
            raise NotFound(f"No policy for tool '{tool_name[:100]}'", code="policy_not_found")
        return Response(status=204)


class SecretViewSet(TenantScopedViewSet):
    """/v1/secrets: the tenant's own vault (tools/vault.py); names and dates out, values only in."""

    queryset = VaultSecret.objects.all()
    lookup_url_kwarg = "name"
    lookup_value_regex = "[^/]+"
    required_permissions = dict.fromkeys(("list", "update", "destroy"), Permission.SECRETS_WRITE)
    administering_actions = ("list", "update", "destroy")

    @secret_list_docs
    def list(self, request):
        return Response(VaultSecretSerializer(self.get_queryset(), many=True).data)

    @secret_update_docs
    def update(self, request, name: str):
        body = SecretValueSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        secret = secret_store(tenant=self.tenant, name=name, value=body.validated_data["value"])
        return Response(VaultSecretSerializer(secret).data, status=201 if secret.created else 200)

    @secret_destroy_docs
    def destroy(self, request, name: str):
        if not secret_delete(tenant=self.tenant, name=name):
            raise NotFound(f"No secret '{name[:100]}'", code="secret_not_found")
        return Response(status=204)


HTTP_TOOL_ACTIONS = ("list", "create", "retrieve", "partial_update", "destroy")


class HttpToolViewSet(TenantScopedViewSet):
    """/v1/http-tools: the tenant's own HTTP tools, checked and written by tools/http_tools.py.

    The operator's tools are not the tenant's to see or change here: the queryset holds the tenant's alone.
    """

    queryset = HttpTool.objects.all()
    lookup_url_kwarg = "name"
    lookup_value_regex = "[^/]+"
    required_permissions = dict.fromkeys(HTTP_TOOL_ACTIONS, Permission.TOOLS_MANAGE)
    administering_actions = HTTP_TOOL_ACTIONS

    @http_tool_list_docs
    def list(self, request):
        return Response(HttpToolSerializer(self.get_queryset(), many=True).data)

    @http_tool_create_docs
    def create(self, request):
        tool = http_tool_create(owner=self.tenant, fields=definition_fields(request.data))
        return Response(HttpToolSerializer(tool).data, status=201)

    @http_tool_retrieve_docs
    def retrieve(self, request, name: str):
        return Response(HttpToolSerializer(self._own_tool(name)).data)

    @http_tool_update_docs
    def partial_update(self, request, name: str):
        fields = definition_fields(request.data)  # the body before the lookup, as on every endpoint
        tool = http_tool_update(tool=self._own_tool(name), fields=fields)
        return Response(HttpToolSerializer(tool).data)

    @http_tool_destroy_docs
    def destroy(self, request, name: str):
        http_tool_delete(tool=self._own_tool(name))
        return Response(status=204)

    def _own_tool(self, name: str) -> HttpTool:
        tool = self.get_queryset().filter(name=name).first()
        if tool is None:
            raise NotFound(f"No HTTP tool '{name[:100]}'", code="http_tool_not_found")
        return tool


class AccessViewSet(TenantScopedViewSet):
    """GET /v1/access?user_id=…&tool=…[&key_id=…]: may this user (through this key) call this tool, and why."""

    required_permissions = {"list": Permission.ACCESS_MANAGE}
    administering_actions = ("list",)

    @access_docs
    def list(self, request):
        query = AccessQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        asked = query.validated_data
        user = TenantUser.objects.filter(tenant=self.tenant, pk=asked["user_id"]).first()
        if user is None:
            raise NotFound(f"User '{asked['user_id']}' not found", code="user_not_found")
        tool = tool_resolve(tenant=self.tenant, name=asked["tool"])
        if tool is None:
            raise NotFound(f"Tool '{asked['tool']}' not found", code="tool_not_found")
        key = None
        if asked["key_id"] is not None:
            key = PrincipalKey.objects.filter(tenant=self.tenant, user=user, pk=asked["key_id"]).first()
            if key is None:
                raise NotFound(f"Key '{asked['key_id']}' of this user not found", code="key_not_found")
        context = TenantContext(tenant=self.tenant, user=user, key=key)
        return Response(AccessExplanationSerializer(access_explain(context=context, tool=tool)).data)
