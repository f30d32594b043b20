"""What an HTTP tool definition may be (tools/http_tools.py): each rule refuses with a 422 naming its field."""

import pytest

from gateway_project.errors import ValidationFailed
from tools.http_tools import http_tool_create, http_tool_update
from tools.models import HttpTool
from tools.vault import secret_store

pytestmark = pytest.mark.django_db

SCHEMA = {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}, "q": {"type": "string"}}}
GOOD = {"name": "crm.lookup", "method": "GET", "url_template": "https://crm.example.com/v1/customers/{id}",
        "input_schema": SCHEMA}  # fmt: skip


def refusal(owner, **changes) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as refused:
        http_tool_create(owner=owner, fields=GOOD | changes)
    return refused.value.errors


def test_a_good_definition_is_stored_with_its_defaults(acme):
    tenant, _ = acme
    tool = http_tool_create(owner=tenant, fields=GOOD)
    stored = HttpTool.objects.get(pk=tool.pk)
    assert (stored.tenant, stored.roles, stored.units, stored.total_timeout_seconds) == (tenant, ["admin"], 1, 15.0)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "has space"}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "echo"}, "name"),  # a built-in's
        ({"method": "TRACE"}, "method"),
        ({"url_template": "ftp://crm.example.com/x"}, "url_template"),
        ({"url_template": "/relative/{id}"}, "url_template"),
        ({"url_template": "https://user:pw@crm.example.com/{id}"}, "url_template"),
        ({"url_template": "https://{id}.example.com/"}, "url_template"),  # the payload may not pick the host
        ({"url_template": "https://crm.example.com/{q}"}, "url_template"),  # q is not required
        ({"url_template": "https://crm.example.com/{nope}"}, "url_template"),
        ({"url_template": "https://crm.example.com/{id"}, "url_template"),
        ({"url_template": "https://crm.example.com/{}"}, "url_template"),
        ({"url_template": "https://crm.example.com/{0}"}, "url_template"),
        ({"url_template": "https://crm.example.com/{id!r}"}, "url_template"),
        ({"url_template": "https://crm.example.com/{id:>9}"}, "url_template"),
        ({"url_template": "https://crm.example.com/{id.real}"}, "url_template"),
        ({"description": "nul\x00"}, "description"),
        ({"input_schema": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string",
                                                                                    "default": "\x00"}}}},
         "input_schema"),
        # A remote reference would have the gateway fetch it, past the SSRF guard.
        ({"input_schema": {"type": "object", "required": ["id"], "properties": {
            "id": {"$ref": "http://169.254.169.254/latest/meta-data"}}}}, "input_schema"),
        ({"input_schema": {"type": "array"}}, "input_schema"),
        ({"input_schema": {"type": "object", "properties": {"id": {"type": "nonsense"}}}}, "input_schema"),
        ({"query_params": ["missing"]}, "query_params"),
        ({"query_params": ["id"]}, "query_params"),  # already in the path
        ({"body_field": "q"}, "body_field"),  # a GET sends no body
        ({"static_headers": {"Host": "evil.example.com"}}, "static_headers"),
        ({"static_headers": {"X-Ok": "line\r\nInjected: 1"}}, "static_headers"),
        ({"static_headers": {"bad name": "v"}}, "static_headers"),
        ({"credentials": [{"secret": "nope", "in": "header", "name": "X-Key"}]}, "credentials"),
        ({"credentials": [{"secret": "crm", "in": "cookie", "name": "X-Key"}]}, "credentials[0].in"),
        ({"credentials": [{"secret": "crm", "in": "header", "name": "X-Key", "format": "no placeholder"}]},
         "credentials[0].format"),
        ({"credentials": [{"secret": "crm", "in": "header", "name": "Content-Length"}]}, "credentials[0].name"),
        ({"credentials": "crm"}, "credentials"),
        ({"connect_timeout_seconds": 0}, "connect_timeout_seconds"),
        ({"total_timeout_seconds": 31}, "total_timeout_seconds"),  # the ceiling: GATEWAY_HTTP_TOOL_MAX_TIMEOUT_SECONDS
        ({"read_timeout_seconds": 20, "total_timeout_seconds": 10}, "read_timeout_seconds"),
        ({"total_timeout_seconds": "5"}, "total_timeout_seconds"),
        ({"max_response_bytes": 0}, "max_response_bytes"),
        ({"max_response_bytes": 10 * 1024 * 1024}, "max_response_bytes"),
        ({"units": 0}, "units"),
        ({"roles": []}, "roles"),
        ({"roles": ["owner"]}, "roles"),
        ({"idempotency_header": "Content-Type"}, "idempotency_header"),
        ({"enabled": "yes"}, "enabled"),
        ({"surprise": 1}, "surprise"),
    ],
)  # fmt: skip
def test_each_rule_names_its_field(acme, changes, field):
    tenant, _ = acme
    secret_store(tenant=tenant, name="crm", value="v")
    assert field in refusal(tenant, **changes)
    assert not HttpTool.objects.exists()


def test_a_tenant_refers_to_its_own_secrets_only(acme, outsider):
    tenant, _ = acme
    secret_store(tenant=outsider.tenant, name="crm", value="v")
    secret_store(tenant=None, name="crm", value="v")
    credentials = [{"secret": "crm", "in": "header", "name": "X-Key"}]
    assert "credentials" in refusal(tenant, credentials=credentials)
    secret_store(tenant=tenant, name="crm", value="v")
    assert http_tool_create(owner=tenant, fields=GOOD | {"credentials": credentials}).credentials == credentials


def test_only_the_operators_tools_are_offered_to_every_tenant(acme):
    tenant, _ = acme
    assert "offered_to_all" in refusal(tenant, offered_to_all=True)
    assert http_tool_create(owner=None, fields=GOOD | {"offered_to_all": True}).offered_to_all


def test_names_are_unique_per_owner(acme, outsider):
    tenant, _ = acme
    http_tool_create(owner=tenant, fields=GOOD)
    assert refusal(tenant) == {"name": ["A tool named 'crm.lookup' already exists."]}
    http_tool_create(owner=outsider.tenant, fields=GOOD)
    http_tool_create(owner=None, fields=GOOD)
    with pytest.raises(ValidationFailed):
        http_tool_create(owner=None, fields=GOOD)


def test_a_tenant_owns_at_most_the_limit(acme, settings):
    tenant, _ = acme
    settings.GATEWAY_HTTP_TOOLS_PER_TENANT = 2
    for n in range(2):
        http_tool_create(owner=tenant, fields=GOOD | {"name": f"t{n}"})
    assert refusal(tenant, name="t2") == {"name": ["A tenant may own at most 2 HTTP tools."]}
    http_tool_create(owner=None, fields=GOOD | {"name": "t2"})  # the operator's do not count


def test_an_update_is_checked_whole(acme):
    tenant, _ = acme
    tool = http_tool_create(owner=tenant, fields=GOOD)
    with pytest.raises(ValidationFailed) as refused:
        http_tool_update(tool=tool, fields={"input_schema": {"type": "object"}})  # {id} would name nothing
    assert "url_template" in refused.value.errors
    assert HttpTool.objects.get(pk=tool.pk).input_schema == SCHEMA
    http_tool_update(tool=tool, fields={"description": "Look up a customer"})
    assert HttpTool.objects.get(pk=tool.pk).description == "Look up a customer"


def test_local_references_resolve_inside_the_schema(acme, invoke, acme_admin):
    tenant, _ = acme
    schema = {"type": "object", "required": ["id"], "properties": {"id": {"$ref": "#/$defs/Id"}},
              "$defs": {"Id": {"type": "integer", "minimum": 1}}}  # fmt: skip
    tool = http_tool_create(owner=tenant, fields=GOOD | {"input_schema": schema})
    from tools.http_tools import as_tool

    compiled = as_tool(tool)
    assert compiled.payload_errors({"id": 3}) == {}
    assert list(compiled.payload_errors({"id": 0})) == ["payload.id"]


def test_the_schema_size_is_a_setting(acme, settings):
    tenant, _ = acme
    settings.GATEWAY_HTTP_TOOL_MAX_SCHEMA_BYTES = 2048
    big = {**SCHEMA, "description": "x" * 2048}
    assert refusal(tenant, input_schema=big)["input_schema"] == ["At most 2048 bytes of JSON."]
    http_tool_create(owner=tenant, fields=GOOD | {"input_schema": {**SCHEMA, "description": "x" * 1500}})
