"""What the OpenAPI document says beyond what drf-spectacular infers: headers, errors, links.

Every endpoint lists each error status the contract gives it, with the one
error shape; the tenant headers are a security requirement exactly where the
authentication class runs, and Idempotency-Key a header parameter on invoke.
"""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from tenants.context import API_KEY_HEADER, TENANT_ID_HEADER, USER_ID_HEADER
from tools.idempotency import IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_KEY_PATTERN, REPLAYED_HEADER

ErrorSerializer = inline_serializer(
    "Error",
    {
        "detail": serializers.CharField(help_text="One sentence saying what went wrong."),
        "code": serializers.CharField(help_text="A stable snake_case code, e.g. `invalid_credentials`."),
    },
)
ValidationErrorSerializer = inline_serializer(
    "ValidationError",
    {
        "detail": serializers.CharField(help_text="The first problem, and how many more there are."),
        "code": serializers.CharField(help_text="Always `validation_error`."),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text='Messages by field path, e.g. `{"points[3].ts": ["…"]}`.',
        ),
    },
)

_ERROR_DESCRIPTIONS = {
    400: "A required header is missing, malformed or sent twice, or the body is not parseable JSON "
    "(or nests too deep, or holds too many arrays and objects).",
    401: "Unknown tenant, or the API key does not match: always `Invalid tenant ID or API key`.",
    403: "The tenant is suspended (`tenant_suspended`), the user is not found or belongs to another tenant, "
    "or the role lacks the permission.",
    404: "Not found in this tenant (another tenant's object looks exactly the same).",
    409: "Conflict: a duplicate name or email, or an idempotency conflict.",
    408: "The body did not arrive within `GATEWAY_BODY_READ_TIMEOUT_SECONDS`.",
    411: "A body was sent without Content-Length (chunked) to a server that cannot read it whole.",
    413: "The body is over the configured size limit.",
    415: "The body is not `application/json`.",
    422: "The body parses but fails validation; `errors` lists each field path.",
    429: "Over the tenant's, the user's or the tool's rate limit; `Retry-After` says when to try again.",
    431: "A request header, or all of them together, is over the configured size limit.",
    424: "An HTTP tool's upstream refused (`upstream_rejected`, with `upstream_status` and `upstream_body`): "
    "the tool's answer, stored and replayed.",
    502: "The tool's answer is over `GATEWAY_MAX_RESULT_BYTES`: not delivered; stored and replayed as this error.",
    503: "The database does not answer (or is locked past the busy timeout); retry after `Retry-After`.",
    504: "An HTTP tool's upstream did not answer in time: `upstream_timeout` (the key is released; a retry is safe) "
    "or `upstream_outcome_unknown` (stored and replayed; the request is never sent again).",
}
# Any request may meet these, whatever the operation.
ALWAYS_POSSIBLE = (431, 503)


def error_responses(*statuses: int, **descriptions: str) -> dict[int, OpenApiResponse]:
    """The documented error statuses of one operation (plus ALWAYS_POSSIBLE); override texts with `s409=`."""
    return {
        status: OpenApiResponse(
            ValidationErrorSerializer if status == 422 else ErrorSerializer,
            description=descriptions.get(f"s{status}") or _ERROR_DESCRIPTIONS[status],
        )
        for status in sorted({*statuses, *ALWAYS_POSSIBLE})
    }


class StrictCharFieldScheme(OpenApiSerializerFieldExtension):
    """Says what the field refuses: NUL characters always, and whitespace-only text unless blank is allowed."""

    target_class = "gateway_project.fields.StrictCharField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "request" and "enum" not in schema:
            schema["pattern"] = r"^[^\x00]*$" if self.target.allow_blank else r"^[^\x00]*[^\x00\s][^\x00]*$"
        return schema


# Statuses every tenant-authenticated endpoint can answer, and every endpoint that reads a JSON body.
AUTHENTICATED_ERRORS = (400, 401, 403, 429)
BODY_ERRORS = (400, 408, 411, 413, 415, 422)


class TenantHeaderScheme(OpenApiAuthenticationExtension):
    """Three ways to authenticate, any one of them (each an AND of its headers): the tenant key naming the
    user (Phase 0), a principal key in X-API-Key with the tenant, or a principal key alone as a bearer token."""

    target_class = "tenants.api_access.TenantHeaderAuthentication"
    name = ["TenantId", "UserId", "ApiKey", "PrincipalKey"]

    def get_security_requirement(self, auto_schema):
        return [
            {"TenantId": [], "UserId": [], "ApiKey": []},
            {"TenantId": [], "ApiKey": []},
            {"PrincipalKey": []},
        ]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": TENANT_ID_HEADER, "description": "The tenant's UUID."},
            {
                "type": "apiKey",
                "in": "header",
                "name": USER_ID_HEADER,
                "description": "The calling user's UUID: required with the tenant key; with a principal key it may "
                "be left out, and if sent must name the key's user.",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": API_KEY_HEADER,
                "description": "The tenant's API key (`gwk_…`), or a principal key (`gwp_…`).",
            },
            {
                "type": "http",
                "scheme": "bearer",
                "description": "A principal key (`gwp_…`): it names its tenant and its user; nothing else is needed.",
            },
        ]


def idempotency_key_parameter() -> OpenApiParameter:
    return OpenApiParameter(
        IDEMPOTENCY_KEY_HEADER,
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        required=True,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        # No example value on purpose: a shared example key would make every tried body a 409.
        description=(
            f"1 to {settings.GATEWAY_IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters, unique per "
            "logical request (a UUID is a good choice). A retry with the same key and body gets the stored "
            "answer, without running the tool again."
        ),
    )


REPLAYED_RESPONSE_HEADER = OpenApiParameter(
    REPLAYED_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 404],
    enum=["true"],
    description="Present, and `true`, when this is the stored answer to an earlier request with the same key.",
)
RETRY_AFTER_RESPONSE_HEADER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=[409],
    description="On `idempotency_in_progress`: seconds to wait before asking again.",
)


def kpi_id_parameter() -> OpenApiParameter:
    return OpenApiParameter("kpi_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The KPI's id.")


# Operations that take the id of a KPI just created by POST /v1/kpis.
KPI_LINKS = {"GetKpi": "kpis_retrieve", "GetLatestPoint": "kpis_latest", "IngestPoints": "kpis_points_bulk"}


def add_links(result, generator, request, public):
    """Postprocessing hook: OpenAPI links from a created KPI to the operations that take its id.

    Clients (and the fuzzer's stateful phase) follow them: create, then ingest, then read.
    """
    operation_ids = {op["operationId"] for path in result["paths"].values() for op in path.values()}
    missing = set(KPI_LINKS.values()) - operation_ids
    assert not missing, f"links name operations the schema lacks: {missing}"
    created = result["paths"]["/v1/kpis"]["post"]["responses"]["201"]
    created["links"] = {
        name: {"operationId": operation_id, "parameters": {"kpi_id": "$response.body#/kpi_id"}}
        for name, operation_id in KPI_LINKS.items()
    }
    return result


# The docs pages may load nothing from another host: ReDoc's bundle, for one, fetches a
# Redocly logo from a CDN, which this policy stops in the browser before it leaves.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline' blob:; worker-src 'self' blob:; connect-src 'self'; font-src 'self' data:"
)


def same_host_only(view):
    """Wrap a docs view so the browser refuses any request it would make off this host."""

    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
        return response

    return wrapped
