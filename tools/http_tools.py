"""HTTP tools as data: each definition checked and written here, and offered to tenants as tools (a provider).

Every writer (the tenant API, the console, `manage.py import_openapi`) goes through
`http_tool_create`/`http_tool_update`, so a stored definition is always one the call upstream
(tools/upstream.py) can send. A tenant sees its own tools, then the operator's offered to it;
a name taken by a tool defined in code is refused, since that tool would win.
"""

import json
import re
import string
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from gateway_project.db import db_value, fetch_one, python_value
from gateway_project.errors import ValidationFailed
from tenants.models import Role, Tenant
from tools.models import (
    SECRET_NAME_PATTERN,
    TOOL_NAME_MAX_LENGTH,
    TOOL_NAME_PATTERN,
    HttpMethod,
    HttpTool,
    VaultSecret,
)
from tools.registry import Tool, registry, schema_validator

# The fields a definition is written with; `tenant` and the offer are set by who writes it.
DEFINITION_FIELDS = (
    "name", "description", "input_schema", "method", "url_template", "query_params", "body_field",
    "static_headers", "credentials", "connect_timeout_seconds", "read_timeout_seconds", "total_timeout_seconds",
    "max_response_bytes", "units", "roles", "idempotency_header", "enabled",
)  # fmt: skip
OFFER_FIELDS = ("offered_to_all",)
METHODS_WITH_BODY = frozenset({HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH})
MAX_DESCRIPTION_LENGTH = 4000
MAX_STATIC_HEADERS = 50
MAX_CREDENTIALS = 10
MAX_UNITS = 1_000_000
SECRET_PLACEHOLDER = "{secret}"  # noqa: S105 - where a credential's value goes in its format, not a password
# Headers the gateway sets itself, or that would change how the request travels.
RESERVED_HEADERS = frozenset({
    "host", "content-length", "transfer-encoding", "connection", "upgrade", "te", "trailer", "keep-alive",
    "proxy-authorization", "proxy-connection", "expect", "content-type",
})  # fmt: skip
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")
_HEADER_VALUE = re.compile(r"^[\t\x20-\x7e]{0,2000}$")


_PLACEHOLDER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def url_placeholders(url_template: str) -> list[str]:
    """The payload fields a URL template names, in order: `{petId}` → petId."""
    return [field for _, field, _, _ in string.Formatter().parse(url_template) if field]


def url_origin(url: str) -> str:
    """`scheme://host[:port]` of a URL or a URL template (placeholders fill only the path): where requests go."""
    parts = urlsplit(url.replace("{", "").replace("}", ""))
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1].lower()}"


def is_plain_placeholder(name: str) -> bool:
    """Whether `{name}` fills a URL template as it is: `{0}`, `{a.b}` or `{a[0]}` would be read as lookups."""
    return bool(_PLACEHOLDER.fullmatch(name))


def _placeholder_problems(url_template: str) -> list[str]:
    """Placeholders are plain names: `{}`, `{0}`, `{a.b}`, `{id!r}` or `{id:>9}` would fail or change the value."""
    problems = []
    for _, field, spec, conversion in string.Formatter().parse(url_template):
        if field is None:
            continue
        if not is_plain_placeholder(field) or spec or conversion:
            problems.append(f"'{{{field}}}' is not a plain name: letters, digits, '_', '-'; no format or conversion.")
    return problems


def _remote_references(node) -> list[str]:
    """Every `$ref` that points outside the schema itself."""
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) and not node["$ref"].startswith("#") else []
        return found + [ref for value in node.values() for ref in _remote_references(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _remote_references(value)]
    return []


def _has_nul(node) -> bool:
    if isinstance(node, str):
        return "\x00" in node
    if isinstance(node, dict):
        return any(_has_nul(key) or _has_nul(value) for key, value in node.items())
    if isinstance(node, list):
        return any(_has_nul(value) for value in node)
    return False


class _Errors:
    """A definition's problems, keyed by field, raised together as one 422."""

    def __init__(self):
        self.found: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.found.setdefault(field, []).append(message)

    def raise_any(self) -> None:
        if self.found:
            raise ValidationFailed(self.found)


def _check_name(errors: _Errors, name: Any) -> None:
    if (
        not isinstance(name, str)
        or not 1 <= len(name) <= TOOL_NAME_MAX_LENGTH
        or not re.fullmatch(TOOL_NAME_PATTERN, name)
    ):
        errors.add("name", f"1 to {TOOL_NAME_MAX_LENGTH} characters: letters, digits, '_', '.', '-'; first a letter "
                           "or digit.")  # fmt: skip
    elif registry.get(name) is not None:
        errors.add("name", f"'{name}' is a built-in tool's name.")


def _schema_properties(errors: _Errors, schema: Any) -> tuple[dict, set[str]]:
    """The schema's top-level properties and required names, once the schema itself is valid."""
    if not isinstance(schema, dict) or schema.get("type") != "object":
        errors.add("input_schema", 'A JSON Schema object whose "type" is "object".')
        return {}, set()
    if len(json.dumps(schema)) > settings.GATEWAY_HTTP_TOOL_MAX_SCHEMA_BYTES:
        errors.add("input_schema", f"At most {settings.GATEWAY_HTTP_TOOL_MAX_SCHEMA_BYTES} bytes of JSON.")
        return {}, set()
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as invalid:
        errors.add("input_schema", f"Not a valid JSON Schema: {invalid.message}")
        return {}, set()
    remote = _remote_references(schema)
    if remote:
        errors.add("input_schema", f"'$ref' may point only inside the schema ('#/$defs/...'), not to {remote[0]!r}.")
        return {}, set()
    properties = schema.get("properties", {})
    required = schema.get("required", [])
    return (properties if isinstance(properties, dict) else {}), set(required if isinstance(required, list) else [])


def _check_url(errors: _Errors, template: Any, properties: dict, required: set[str]) -> list[str]:
    if not isinstance(template, str) or not 1 <= len(template) <= 2000:
        errors.add("url_template", "1 to 2000 characters.")
        return []
    try:
        placeholders = url_placeholders(template)
        parts = urlsplit(template.replace("{", "").replace("}", ""))
    except ValueError:
        errors.add("url_template", "Not a URL template: braces must pair, as in /pets/{petId}.")
        return []
    for problem in _placeholder_problems(template):
        errors.add("url_template", problem)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        errors.add("url_template", "An absolute http:// or https:// URL.")
    if parts.username or parts.password:
        errors.add("url_template", "No user name or password in the URL; reference a vault secret in credentials.")
    if parts.fragment:
        errors.add("url_template", "No #fragment.")
    authority = urlsplit(template).netloc
    if "{" in authority or "}" in authority:
        errors.add("url_template", "Placeholders fill the path only, never the host.")
    for field in placeholders:
        if field not in properties or field not in required:
            errors.add("url_template", f"'{{{field}}}' must name a required property of input_schema.")
    return placeholders


def _check_query(errors: _Errors, query_params: Any, properties: dict, placeholders: list[str]) -> None:
    if not isinstance(query_params, list) or not all(isinstance(name, str) for name in query_params):
        errors.add("query_params", "A list of input_schema property names.")
        return
    for name in query_params:
        if name not in properties:
            errors.add("query_params", f"'{name}' is not a property of input_schema.")
        elif name in placeholders:
            errors.add("query_params", f"'{name}' already fills the URL's path.")


def _check_body(errors: _Errors, body_field: Any, method: str, properties: dict) -> None:
    if body_field in ("", None):
        return
    if method not in METHODS_WITH_BODY:
        errors.add("body_field", f"{method} sends no body.")
    elif not isinstance(body_field, str) or body_field not in properties:
        errors.add("body_field", "Empty, or a property of input_schema.")


def _check_headers(errors: _Errors, headers: Any) -> None:
    if not isinstance(headers, dict) or len(headers) > MAX_STATIC_HEADERS:
        errors.add("static_headers", f"An object of at most {MAX_STATIC_HEADERS} header names and values.")
        return
    for name, value in headers.items():
        if not _HEADER_NAME.fullmatch(name):
            errors.add("static_headers", f"'{name}' is not a header name.")
        elif name.lower() in RESERVED_HEADERS:
            errors.add("static_headers", f"'{name}' is set by the gateway.")
        if not isinstance(value, str) or not _HEADER_VALUE.fullmatch(value):
            errors.add("static_headers", f"The value of '{name}': printable text, at most 2000 characters.")


def _check_credentials(errors: _Errors, credentials: Any, owner: Tenant | None) -> None:
    if not isinstance(credentials, list) or len(credentials) > MAX_CREDENTIALS:
        errors.add("credentials", f"A list of at most {MAX_CREDENTIALS} references to vault secrets.")
        return
    names = set()
    for position, credential in enumerate(credentials):
        where = f"credentials[{position}]"
        if not isinstance(credential, dict) or set(credential) - {"secret", "in", "name", "format"}:
            errors.add(where, 'An object: {"secret", "in": "header" or "query", "name", "format"}.')
            continue
        secret = credential.get("secret")
        if not isinstance(secret, str) or not re.fullmatch(SECRET_NAME_PATTERN, secret):
            errors.add(f"{where}.secret", "The name of a vault secret.")
        else:
            names.add(secret)
        placed = credential.get("in")
        if placed not in ("header", "query"):
            errors.add(f"{where}.in", '"header" or "query".')
        name = credential.get("name")
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            errors.add(f"{where}.name", "A header or query parameter name.")
        elif placed == "header" and name.lower() in RESERVED_HEADERS:
            errors.add(f"{where}.name", f"'{name}' is set by the gateway.")
        template = credential.get("format", SECRET_PLACEHOLDER)
        if not isinstance(template, str) or template.count(SECRET_PLACEHOLDER) != 1 or len(template) > 200:
            errors.add(f"{where}.format", 'Text holding "{secret}" once, as in "Bearer {secret}".')
    stored = set(VaultSecret.objects.filter(tenant=owner, name__in=names).values_list("name", flat=True))
    for missing in sorted(names - stored):
        whose = "this tenant's" if owner is not None else "the operator's"
        errors.add("credentials", f"No secret '{missing}' in {whose} vault; store it first.")


def _check_limits(errors: _Errors, fields: dict) -> None:
    ceiling = settings.GATEWAY_HTTP_TOOL_MAX_TIMEOUT_SECONDS
    names = ("connect_timeout_seconds", "read_timeout_seconds", "total_timeout_seconds")
    timeouts = {name: fields[name] for name in names}
    for name, value in timeouts.items():
        if type(value) not in (int, float) or not 0 < value <= ceiling:
            errors.add(name, f"Seconds, more than 0 and at most {ceiling}.")
    total = timeouts["total_timeout_seconds"]
    if type(total) in (int, float):
        for name in ("connect_timeout_seconds", "read_timeout_seconds"):
            if type(timeouts[name]) in (int, float) and timeouts[name] > total:
                errors.add(name, "At most total_timeout_seconds.")
    largest = settings.GATEWAY_HTTP_TOOL_MAX_RESPONSE_BYTES
    if type(fields["max_response_bytes"]) is not int or not 1 <= fields["max_response_bytes"] <= largest:
        errors.add("max_response_bytes", f"1 to {largest}.")
    if type(fields["units"]) is not int or not 1 <= fields["units"] <= MAX_UNITS:
        errors.add("units", f"1 to {MAX_UNITS}.")
    roles = fields["roles"]
    if not isinstance(roles, list) or not roles or not set(roles) <= set(Role.values):
        errors.add("roles", f"A non-empty list of roles: {', '.join(Role.values)}.")
    header = fields["idempotency_header"]
    header_ok = isinstance(header, str) and _HEADER_NAME.fullmatch(header) and header.lower() not in RESERVED_HEADERS
    if header and not header_ok:
        errors.add("idempotency_header", "Empty, or the header name the upstream reads its idempotency key from.")
    if not isinstance(fields["enabled"], bool):
        errors.add("enabled", "true or false.")


def definition_check(fields: dict, *, owner: Tenant | None) -> None:
    """Raise a 422 naming every problem of a whole definition (all of DEFINITION_FIELDS present)."""
    errors = _Errors()
    for name in DEFINITION_FIELDS:
        if _has_nul(fields[name]):  # PostgreSQL cannot store it, and no header, URL or name needs it
            errors.add(name, "No NUL characters.")
    errors.raise_any()
    _check_name(errors, fields["name"])
    if not isinstance(fields["description"], str) or len(fields["description"]) > MAX_DESCRIPTION_LENGTH:
        errors.add("description", f"Text, at most {MAX_DESCRIPTION_LENGTH} characters.")
    method = fields["method"]
    if method not in HttpMethod.values:
        errors.add("method", f"One of {', '.join(HttpMethod.values)}.")
    properties, required = _schema_properties(errors, fields["input_schema"])
    placeholders = _check_url(errors, fields["url_template"], properties, required)
    _check_query(errors, fields["query_params"], properties, placeholders)
    _check_body(errors, fields["body_field"], method, properties)
    _check_headers(errors, fields["static_headers"])
    _check_credentials(errors, fields["credentials"], owner)
    _check_limits(errors, fields)
    errors.raise_any()


def _defaults() -> dict:
    return {name: HttpTool._meta.get_field(name).get_default() for name in DEFINITION_FIELDS}


def _write(tool: HttpTool, fields: dict) -> HttpTool:
    owner = tool.tenant
    unknown = sorted(set(fields) - set(DEFINITION_FIELDS) - set(OFFER_FIELDS))
    if unknown:
        raise ValidationFailed({name: ["Unexpected field."] for name in unknown})
    if owner is not None and fields.get("offered_to_all"):
        raise ValidationFailed({"offered_to_all": ["Only the operator's tools are offered to other tenants."]})
    whole = {name: getattr(tool, name) for name in DEFINITION_FIELDS} | fields
    whole["body_field"] = whole["body_field"] or ""
    whole["idempotency_header"] = whole["idempotency_header"] or ""
    definition_check(whole, owner=owner)
    for name, value in (whole | {key: fields[key] for key in OFFER_FIELDS if key in fields}).items():
        setattr(tool, name, value)
    try:
        with transaction.atomic():
            if tool._state.adding and owner is not None:
                # Lock the tenant's row so two creates cannot both pass the count.
                Tenant.objects.select_for_update().filter(pk=owner.pk).exists()
                if HttpTool.objects.filter(tenant=owner).count() >= settings.GATEWAY_HTTP_TOOLS_PER_TENANT:
                    most = settings.GATEWAY_HTTP_TOOLS_PER_TENANT
                    raise ValidationFailed({"name": [f"A tenant may own at most {most} HTTP tools."]})
            tool.save()
    except IntegrityError:
        raise ValidationFailed({"name": [f"A tool named '{tool.name}' already exists."]}) from None
    return tool


def http_tool_create(*, owner: Tenant | None, fields: dict) -> HttpTool:
    """A new definition, owned by `owner` (None: the operator's); every field not given takes its default."""
    return _write(HttpTool(tenant=owner, **_defaults()), fields)


def http_tool_update(*, tool: HttpTool, fields: dict) -> HttpTool:
    """Change the given fields; the definition they make must pass every check, as a new one would."""
    return _write(tool, fields)


def http_tool_delete(*, tool: HttpTool) -> None:
    tool.delete()


def retry_safe(tool: HttpTool) -> bool:
    """Whether sending the request again cannot repeat a side effect: a GET, or an upstream that honours our key."""
    return tool.method == HttpMethod.GET or bool(tool.idempotency_header)


def _offered(tenant: Tenant | None):
    enabled = HttpTool.objects.filter(enabled=True)
    if tenant is None:
        return enabled.filter(tenant__isnull=True)
    offers = HttpTool.offered_to.through.objects.filter(tenant=tenant).values("httptool_id")
    return enabled.filter(Q(tenant=tenant) | Q(tenant__isnull=True) & (Q(offered_to_all=True) | Q(pk__in=offers)))


def as_tool(definition: HttpTool) -> Tool:
    from tools.upstream import http_tool_run  # the call needs the vault and httpx, the catalogue does not

    return Tool(
        name=definition.name,
        description=definition.description,
        input_schema=definition.input_schema,
        roles=frozenset(definition.roles),
        units=definition.units,
        handler=lambda call: http_tool_run(definition, call),
        validator=schema_validator(definition.input_schema),
    )


# The tool a tenant calls by name: its own, else the operator's offered to it. Raw SQL on the invoke path,
# where building the ORM query cost more than running it; the ORM's _offered says the same for the catalogue.
_OFFERED_SQL = (
    "SELECT t.id, t.updated_at FROM gateway_http_tools t WHERE t.name = %s AND t.enabled AND (t.tenant_id = %s OR "
    "(t.tenant_id IS NULL AND (t.offered_to_all OR EXISTS (SELECT 1 FROM gateway_http_tools_offered_to o "
    "WHERE o.httptool_id = t.id AND o.tenant_id = %s)))) ORDER BY t.tenant_id IS NULL LIMIT 1"
)
_OPERATOR_SQL = (
    "SELECT t.id, t.updated_at FROM gateway_http_tools t WHERE t.name = %s AND t.enabled AND t.tenant_id IS NULL"
)


@lru_cache(maxsize=512)
def _compiled(definition_id, updated_at) -> Tool:
    """A definition as a Tool, its schema's validator built once per version (a save changes `updated_at`)."""
    return as_tool(HttpTool.objects.get(pk=python_value(HttpTool, "id", definition_id)))


class HttpToolProvider:
    """The provider (tools/providers.py) of HTTP tools: a tenant's own first, then the operator's offered to it.

    With no tenant, the operator's tools alone: a tenant's own are not the operator's to list.
    """

    def tool(self, *, tenant: Tenant | None, name: str) -> Tool | None:
        if tenant is None:
            found = fetch_one(_OPERATOR_SQL, [name])
        else:
            tenant_id = db_value(HttpTool, "tenant", tenant.pk)
            found = fetch_one(_OFFERED_SQL, [name, tenant_id, tenant_id])
        return None if found is None else _compiled(*found)

    def tools(self, *, tenant: Tenant | None) -> list[Tool]:
        chosen: dict[str, HttpTool] = {}
        for definition in sorted(_offered(tenant), key=lambda definition: definition.tenant_id is None):
            chosen.setdefault(definition.name, definition)
        return [as_tool(definition) for definition in chosen.values()]


provider = HttpToolProvider()
