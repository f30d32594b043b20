"""OpenAPI documentation of the tool catalogue and invocation, with the seed walk-through's examples."""

from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema

from gateway_project.openapi import (
    AUTHENTICATED_ERRORS,
    BODY_ERRORS,
    REPLAYED_RESPONSE_HEADER,
    RETRY_AFTER_RESPONSE_HEADER,
    error_responses,
    idempotency_key_parameter,
)
from tools.models import TOOL_NAME_PATTERN
from tools.registry import registry
from tools.serializers import (
    AccessExplanationSerializer,
    AccessQuerySerializer,
    HttpToolSerializer,
    InvocationResultSerializer,
    InvocationSerializer,
    SecretValueSerializer,
    ToolPolicySerializer,
    ToolSerializer,
    VaultSecretSerializer,
)

KPI_ID = "880e8400-e29b-41d4-a716-446655440003"


class ToolNameFieldScheme(OpenApiSerializerFieldExtension):
    """A tool's name: a built-in's, or an HTTP tool's, which exist per tenant at run time (GET /v1/tools)."""

    target_class = "tools.serializers.ToolNameField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "maxLength": 100, "examples": [tool.name for tool in registry.all()]}


tool_list_docs = extend_schema(
    operation_id="tools_list",
    tags=["Tools"],
    summary="List the tool catalogue",
    description="Every registered tool, with the JSON Schema its payload is validated against. Any user of the tenant.",
    responses={200: ToolSerializer(many=True), **error_responses(*AUTHENTICATED_ERRORS)},
)

invoke_docs = extend_schema(
    operation_id="tools_invoke",
    tags=["Tools"],
    summary="Invoke a tool",
    description=(
        "Runs the tool once per `Idempotency-Key`: audited, metered (on success) and stored. "
        "A retry with the same key and body gets the stored status and body with `Idempotent-Replayed: true`; "
        "the same key with another body or from another user is a 409, and so is a retry while the first "
        "attempt still runs (`idempotency_in_progress`, with `Retry-After`). Rejections before the tool runs "
        "(400/401/403/404 unknown tool/422) store nothing, so a corrected retry may reuse the key. "
        "The payload is validated against the tool's `input_schema` (see `GET /v1/tools`)."
    ),
    parameters=[idempotency_key_parameter(), REPLAYED_RESPONSE_HEADER, RETRY_AFTER_RESPONSE_HEADER],
    request=InvocationSerializer,
    responses={
        200: InvocationResultSerializer,
        **error_responses(
            *AUTHENTICATED_ERRORS,
            *BODY_ERRORS,
            404,
            409,
            424,
            502,
            504,
            s403="The tenant is suspended (`tenant_suspended`), user not found, user of another tenant, "
            "or the role lacks `tools.invoke` or the tool's permission.",
            s404="Unknown tool; or the tool's own answer (unknown KPI, no data points), stored and replayed.",
            s409="The key was used with another body or by another user, or its first request is still running.",
            s502="The tool's answer is too large (`result_too_large`, `upstream_response_too_large`: stored and "
            "replayed); an HTTP tool's upstream could not be reached (`upstream_unreachable`, "
            "`upstream_address_refused`) or failed where a retry is safe (`upstream_error`): the key is released; "
            "or it failed after the request left for an upstream that honours no idempotency key "
            "(`upstream_outcome_unknown`: stored, replayed, never sent again).",
            s503="The database does not answer, an HTTP tool's upstream is failing and its circuit is open "
            "(`upstream_unavailable`), or the tool is misconfigured (`tool_misconfigured`); retry after "
            "`Retry-After`. The key is released.",
        ),
    },  # fmt: skip
    examples=[
        OpenApiExample("echo", value={"tool_name": "echo", "payload": {"text": "Hello, World!"}}, request_only=True),
        OpenApiExample(
            "kpi_summary",
            value={"tool_name": "kpi_summary", "payload": {"kpi_id": KPI_ID, "window_days": 7}},
            request_only=True,
        ),
        OpenApiExample(
            "echo result",
            value={"request_id": "770e8400-e29b-41d4-a716-446655440002", "result": {"echo": {"text": "Hello, World!"}}},
            response_only=True,
            status_codes=["200"],
        ),
        OpenApiExample(
            "kpi_summary result",
            value={
                "request_id": "990e8400-e29b-41d4-a716-446655440004",
                "result": {
                    "kpi_id": KPI_ID,
                    "latest": {"ts": "2026-01-08T00:00:00Z", "value": 1250.0},
                    "start": {"ts": "2026-01-01T00:00:00Z", "value": 1000.0},
                    "delta_abs": 250.0,
                    "delta_pct": 25.0,
                },
            },
            response_only=True,
            status_codes=["200"],
        ),
        OpenApiExample(
            "Key reused",
            value={
                "detail": "Idempotency key 'my-unique-request-1' was already used with a different request body",
                "code": "idempotency_key_reused",
            },
            response_only=True,
            status_codes=["409"],
        ),
    ],
)


class InvocationRequestScheme(OpenApiSerializerExtension):
    """One request variant per registered tool, each with that tool's own payload schema.

    The tool's JSON Schema stays the single source: the catalogue shows it, invocation
    validates with it, and here the OpenAPI document embeds it.
    """

    target_class = "tools.serializers.InvocationSerializer"

    def map_serializer(self, auto_schema, direction):
        variants = [
            {
                "type": "object",
                "title": tool.name,
                "properties": {
                    "tool_name": {"type": "string", "enum": [tool.name]},
                    "payload": {**tool.input_schema, "description": f"Validated against {tool.name}'s input_schema."},
                },
                # A payload is optional only for a tool whose schema requires nothing in it.
                "required": ["tool_name", "payload"] if tool.input_schema.get("required") else ["tool_name"],
            }
            for tool in registry.all()
        ]
        # HTTP tools are data, defined per tenant while the gateway runs: documented by GET /v1/tools.
        built_in = [tool.name for tool in registry.all()]
        variants.append({
            "type": "object",
            "title": "An HTTP tool",
            "properties": {
                "tool_name": {"type": "string", "maxLength": 100, "not": {"enum": built_in}},
                "payload": {"type": "object", "description": "Checked against the tool's schema (GET /v1/tools)."},
            },
            "required": ["tool_name"],
        })  # fmt: skip
        return {"oneOf": variants}


ACCESS_WORDS = "Tenant admins (`access.manage`), with the tenant key or an admin's principal key."
tool_policy_list_docs = extend_schema(
    operation_id="tool_policies_list",
    tags=["Access"],
    summary="The tenant's tool policies",
    description=f"One entry per tool the tenant has a rule for; any other follows its own definition. {ACCESS_WORDS}",
    responses={200: ToolPolicySerializer(many=True), **error_responses(*AUTHENTICATED_ERRORS)},
)
tool_policy_update_docs = extend_schema(
    operation_id="tool_policies_update",
    tags=["Access"],
    summary="Set the tenant's rule for a tool",
    description=(
        "`enabled: false` refuses every call of the tool (403 `tool_disabled`); `roles` replaces the roles that may "
        f"call it (null: the tool's own). Effective on the next request. {ACCESS_WORDS}"
    ),
    request=ToolPolicySerializer,
    responses={200: ToolPolicySerializer, **error_responses(*AUTHENTICATED_ERRORS, *BODY_ERRORS)},
)
tool_policy_destroy_docs = extend_schema(
    operation_id="tool_policies_destroy",
    tags=["Access"],
    summary="Clear the tenant's rule for a tool",
    description=f"The tool follows its own definition again. {ACCESS_WORDS}",
    responses={204: None, **error_responses(*AUTHENTICATED_ERRORS, 404)},
)
access_docs = extend_schema(
    operation_id="access_explain",
    tags=["Access"],
    summary="Explain whether a user may call a tool",
    description=(
        "Every access rule in the order a call meets them (service key, invoke permission, key scope, tenant "
        "policy, role), each passed or refused with the code a call would get, then the rate limits' state. "
        f"`allowed` is true exactly when `GET /v1/tools` lists the tool for that caller. {ACCESS_WORDS}"
    ),
    parameters=[AccessQuerySerializer],
    responses={200: AccessExplanationSerializer, **error_responses(*AUTHENTICATED_ERRORS, 404)},
)

SECRETS_WORDS = (
    "Tenant admins (`secrets.write`), with the tenant key or an admin's principal key. A value is never returned."
)
secret_list_docs = extend_schema(
    operation_id="secrets_list",
    tags=["Secrets"],
    summary="The tenant's secrets",
    description=f"The name and dates of each secret in the tenant's vault. {SECRETS_WORDS}",
    responses={200: VaultSecretSerializer(many=True), **error_responses(*AUTHENTICATED_ERRORS)},
)
secret_update_docs = extend_schema(
    operation_id="secrets_update",
    tags=["Secrets"],
    summary="Store a secret",
    description=(
        "Encrypted at rest under the gateway's current vault key; a tool that names the secret has it placed into "
        "its upstream request at call time. 201 when the name is new, 200 when its value is replaced. The name: "
        f"1-100 characters of `a-z 0-9 _ . -`, first a letter or digit. {SECRETS_WORDS}"
    ),
    parameters=[OpenApiParameter("name", str, OpenApiParameter.PATH, pattern=r"^[a-z0-9][a-z0-9_.-]*$")],
    request=SecretValueSerializer,
    responses={
        200: VaultSecretSerializer,
        201: VaultSecretSerializer,
        **error_responses(
            *AUTHENTICATED_ERRORS,
            *BODY_ERRORS,
            s503="The database does not answer, or the vault has no key configured (`vault_unavailable`).",
        ),
    },
    examples=[OpenApiExample("A token", value={"value": "sk-live-0123456789"}, request_only=True)],
)
secret_destroy_docs = extend_schema(
    operation_id="secrets_destroy",
    tags=["Secrets"],
    summary="Delete a secret",
    description=f"The value is gone for good. {SECRETS_WORDS}",
    parameters=[OpenApiParameter("name", str, OpenApiParameter.PATH)],
    responses={204: None, **error_responses(*AUTHENTICATED_ERRORS, 404)},
)

HTTP_TOOLS_WORDS = (
    "Tenant admins (`tools.manage`), with the tenant key or an admin's principal key. The tenant's own tools only: "
    "the operator's appear in `GET /v1/tools` when offered, and are not managed here."
)
HTTP_TOOL_NAME = OpenApiParameter(
    "name", str, OpenApiParameter.PATH, pattern=TOOL_NAME_PATTERN, description="The tool's name."
)
HTTP_TOOL_NOT_FOUND = (
    "No HTTP tool of this tenant by that name (`http_tool_not_found`); another tenant's and the operator's look "
    "the same."
)
HTTP_TOOL_INVALID = (
    "The definition breaks a rule: `errors` names each field (`url_template`, `credentials[0].secret`, ...). A name "
    "taken in the tenant or by a built-in tool, and a tenant over `GATEWAY_HTTP_TOOLS_PER_TENANT` tools, are "
    "`errors.name`; a secret the tenant's vault lacks is `errors.credentials`; a field no definition has is "
    "`Unexpected field.`, and `offered_to_all` is refused (only the operator offers tools to other tenants)."
)
CONTACT_LOOKUP = {
    "name": "crm_contact",
    "description": "Look a contact up in the CRM by its id.",
    "method": "GET",
    "url_template": "https://crm.example.com/v2/contacts/{contact_id}",
    "input_schema": {
        "type": "object",
        "properties": {"contact_id": {"type": "string", "minLength": 1}, "fields": {"type": "string"}},
        "required": ["contact_id"],
        "additionalProperties": False,
    },
    "query_params": ["fields"],
    "credentials": [{"secret": "crm.token", "in": "header", "name": "Authorization", "format": "Bearer {secret}"}],
}
CONTACT_LOOKUP_STORED = {
    "id": "aa0e8400-e29b-41d4-a716-446655440005",
    **CONTACT_LOOKUP,
    "body_field": "",
    "static_headers": {},
    "connect_timeout_seconds": 5.0,
    "read_timeout_seconds": 10.0,
    "total_timeout_seconds": 15.0,
    "max_response_bytes": 1048576,
    "units": 1,
    "roles": ["admin"],
    "idempotency_header": "",
    "enabled": True,
    "created_at": "2026-01-08T00:00:00Z",
    "updated_at": "2026-01-08T00:00:00Z",
}
http_tool_list_docs = extend_schema(
    operation_id="http_tools_list",
    tags=["HTTP tools"],
    summary="The tenant's HTTP tools",
    description=f"Every HTTP tool the tenant owns, enabled or not, by name. {HTTP_TOOLS_WORDS}",
    responses={200: HttpToolSerializer(many=True), **error_responses(*AUTHENTICATED_ERRORS)},
)
http_tool_create_docs = extend_schema(
    operation_id="http_tools_create",
    tags=["HTTP tools"],
    summary="Register an HTTP tool",
    description=(
        "A tool that calls an HTTP service: the payload, checked against `input_schema`, fills the URL's "
        "`{placeholders}`, then the `query_params`, then the body (or, for GET and DELETE, more query parameters). "
        "Credentials name secrets of the tenant's vault, placed into the request only at call time. Callable through "
        "`POST /v1/tools/invoke` by the roles given, from the next request. Fields left out take the defaults shown. "
        f"{HTTP_TOOLS_WORDS}"
    ),
    request=HttpToolSerializer,
    responses={201: HttpToolSerializer, **error_responses(*AUTHENTICATED_ERRORS, *BODY_ERRORS, s422=HTTP_TOOL_INVALID)},
    examples=[
        OpenApiExample("A CRM lookup", value=CONTACT_LOOKUP, request_only=True),
        OpenApiExample("Registered", value=CONTACT_LOOKUP_STORED, response_only=True, status_codes=["201"]),
    ],
)
http_tool_retrieve_docs = extend_schema(
    operation_id="http_tools_retrieve",
    tags=["HTTP tools"],
    summary="One of the tenant's HTTP tools",
    description=HTTP_TOOLS_WORDS,
    parameters=[HTTP_TOOL_NAME],
    responses={200: HttpToolSerializer, **error_responses(*AUTHENTICATED_ERRORS, 404, s404=HTTP_TOOL_NOT_FOUND)},
)
http_tool_update_docs = extend_schema(
    operation_id="http_tools_partial_update",
    tags=["HTTP tools"],
    summary="Change an HTTP tool",
    description=(
        "Changes the fields given; the definition they make must pass every check a new one would. Renaming is "
        "changing `name`. Effective on the next request. The body is read before the tool is looked up (404). "
        f"{HTTP_TOOLS_WORDS}"
    ),
    parameters=[HTTP_TOOL_NAME],
    request=HttpToolSerializer,
    responses={
        200: HttpToolSerializer,
        **error_responses(*AUTHENTICATED_ERRORS, *BODY_ERRORS, 404, s404=HTTP_TOOL_NOT_FOUND, s422=HTTP_TOOL_INVALID),
    },
    examples=[
        OpenApiExample(
            "Point it elsewhere",
            value={"url_template": "https://crm.example.com/v3/contacts/{contact_id}"},
            request_only=True,
        ),
    ],
)
http_tool_destroy_docs = extend_schema(
    operation_id="http_tools_destroy",
    tags=["HTTP tools"],
    summary="Delete an HTTP tool",
    description=(
        "Gone from the catalogue on the next request; its audit and usage rows stay. The vault secrets it named stay "
        f"too. {HTTP_TOOLS_WORDS}"
    ),
    parameters=[HTTP_TOOL_NAME],
    responses={204: None, **error_responses(*AUTHENTICATED_ERRORS, 404, s404=HTTP_TOOL_NOT_FOUND)},
)
