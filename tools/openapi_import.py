"""An OpenAPI 3.0/3.1 document read into HTTP tool definitions: one per operation, or the reason it has none.

Pure: no database, no network. `document_load` turns the document's bytes into a mapping, or refuses
the whole document; `import_plan` maps each operation to the fields `http_tool_create` takes, and
lists every operation it cannot map with its reason. Path and query parameters become properties
(the path's required, as the URL template needs them); a JSON request body becomes the property
`body` (tools/openapi_schemas.py carries its schemas over). `manage.py import_openapi` writes the plan.
"""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import yaml

from tools.http_tools import MAX_DESCRIPTION_LENGTH, METHODS_WITH_BODY, is_plain_placeholder
from tools.models import TOOL_NAME_PATTERN, HttpMethod
from tools.openapi_schemas import SchemaConverter, SchemaUnmappable, is_json_media_type, pointer_tokens
from tools.registry import registry

MAX_DEPTH = 100  # deeper, and walking the document could exhaust the stack
MAX_VALUES = 2_000_000  # values a document may expand to through YAML aliases; a 10 MB document holds fewer
OPERATION_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
BODY_PROPERTY = "body"
# Header parameters OpenAPI says to ignore: the client (here the gateway) sets them itself.
IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})


class ImportRefused(Exception):
    """The whole import cannot go ahead: the document, its server URL, the base URL or the prefix is unusable."""


class _Unmappable(Exception):
    """One operation cannot become a tool; the message says why."""


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    path: str
    name: str = ""  # the tool's name, when one could be made


@dataclass(frozen=True)
class PlannedTool:
    operation: Operation
    fields: dict  # name, description, input_schema, method, url_template, query_params, body_field
    notes: tuple[str, ...] = ()  # what was left out on the way


@dataclass(frozen=True)
class SkippedOperation:
    operation: Operation
    reason: str


@dataclass
class ImportPlan:
    title: str
    base_url: str | None  # None: every operation names its own server
    tools: list[PlannedTool] = field(default_factory=list)
    skipped: list[SkippedOperation] = field(default_factory=list)


# --- The document --------------------------------------------------------------


class _JsonCompatibleLoader(yaml.SafeLoader):
    """YAML read as JSON would be: `2024-01-01` stays a string rather than becoming a date."""


_JsonCompatibleLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _expanded_shape(node, shapes: dict[int, tuple[int, int]], open_nodes: set[int]) -> tuple[int, int]:
    """(values, depth) of `node` with its YAML aliases expanded; refuses a document that expands too far
    (a few lines of aliases can make billions of values), nests too deep, or holds itself."""
    if not isinstance(node, dict | list):
        return 1, 0
    if id(node) in open_nodes:
        raise ImportRefused("The document holds itself, through a YAML alias.")
    if id(node) not in shapes:
        open_nodes.add(id(node))
        children = [
            _expanded_shape(child, shapes, open_nodes) for child in (node.values() if isinstance(node, dict) else node)
        ]
        open_nodes.discard(id(node))
        values, depth = 1 + sum(size for size, _ in children), 1 + max((deep for _, deep in children), default=0)
        if depth > MAX_DEPTH:
            raise ImportRefused(f"The document nests more than {MAX_DEPTH} levels deep.")
        if values > MAX_VALUES:
            raise ImportRefused(f"The document expands to more than {MAX_VALUES} values through YAML aliases.")
        shapes[id(node)] = values, depth
    return shapes[id(node)]


def _parsed(text: str):
    try:
        if text.lstrip().startswith("{"):
            return json.loads(text)
        return yaml.load(text, _JsonCompatibleLoader)  # noqa: S506 - a SafeLoader, without dates
    except (ValueError, yaml.YAMLError) as unreadable:
        lines = str(unreadable).strip().splitlines() or [type(unreadable).__name__]
        raise ImportRefused(f"The document is neither JSON nor YAML: {lines[0]}") from None
    except RecursionError:
        raise ImportRefused(f"The document nests more than {MAX_DEPTH} levels deep.") from None


def document_load(raw: bytes) -> dict:
    """The OpenAPI 3.0/3.1 document in `raw` (JSON or YAML), as plain JSON values; else ImportRefused."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused("The document is not UTF-8 text.") from None
    document = _parsed(text)
    if not isinstance(document, dict):
        raise ImportRefused("Not an OpenAPI document: its top level is not an object.")
    if "swagger" in document:
        raise ImportRefused(
            f"This is a Swagger {document['swagger']} (OpenAPI 2) document; only OpenAPI 3.0 and 3.1 are imported. "
            "Convert it first, e.g. with https://converter.swagger.io or swagger2openapi."
        )
    version = document.get("openapi")
    if not isinstance(version, str):
        raise ImportRefused("Not an OpenAPI document: it has no 'openapi' version field.")
    if not re.match(r"3\.[01]\.", f"{version}."):
        raise ImportRefused(f"OpenAPI {version} is not supported; only 3.0 and 3.1 are imported.")
    try:
        _expanded_shape(document, {}, set())
    except RecursionError:
        raise ImportRefused(f"The document nests more than {MAX_DEPTH} levels deep.") from None
    try:
        # Plain JSON from here on: string keys (YAML reads `200:` as a number), no sets, bytes or NaN.
        document = json.loads(json.dumps(document, allow_nan=False))
    except (TypeError, ValueError) as not_json:
        raise ImportRefused(f"The document holds a value JSON cannot: {not_json}") from None
    if not isinstance(document.get("paths", {}), dict):
        raise ImportRefused("The document's 'paths' is not an object.")
    return document


def _resolve(document: dict, node, what: str) -> dict:
    """`node`, or what its chain of local `$ref`s ends at (a parameter, a request body, a path item)."""
    seen = []
    while isinstance(node, dict) and "$ref" in node:
        reference = node["$ref"]
        if not isinstance(reference, str) or not reference.startswith("#/"):
            raise _Unmappable(f"The {what} $ref '{reference}' is outside this document; only local ones are read.")
        if reference in seen:
            raise _Unmappable(f"The {what} $ref '{reference}' refers to itself.")
        seen.append(reference)
        node = document
        for token in pointer_tokens(reference):
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                raise _Unmappable(f"The {what} $ref '{reference}' points at nothing in the document.")
    if not isinstance(node, dict):
        raise _Unmappable(f"A {what} is not an object.")
    return node


# --- Names, descriptions, servers ----------------------------------------------


def tool_name(operation_id, method: str, path: str, prefix: str = "") -> str:
    """The operationId, every character a name may not hold made '_'; else method_path; the prefix in front."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", operation_id.strip()) if isinstance(operation_id, str) else ""
    if not name.strip("_.-"):
        words = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{method.lower()}_{path.replace('{', '').replace('}', '')}")
        name = re.sub(r"_+", "_", words).rstrip("_")
    return prefix + name if prefix else name.lstrip("_.-")


def _description(operation: dict) -> str:
    parts = [operation.get(key) for key in ("summary", "description")]
    text = "\n\n".join(dict.fromkeys(part.strip() for part in parts if isinstance(part, str) and part.strip()))
    return text if len(text) <= MAX_DESCRIPTION_LENGTH else text[: MAX_DESCRIPTION_LENGTH - 1] + "…"


def _server_url(servers, document_url: str | None) -> str | None:
    """The first server's URL, its variables at their defaults, made absolute against the document's own URL."""
    if not isinstance(servers, list) or not servers:
        return None
    url = servers[0].get("url") if isinstance(servers[0], dict) else None
    if not isinstance(url, str):
        raise ImportRefused("The first server has no URL.")
    variables = servers[0].get("variables")
    for name in re.findall(r"\{([^{}]*)\}", url):
        variable = variables.get(name) if isinstance(variables, dict) else None
        default = variable.get("default") if isinstance(variable, dict) else None
        if not isinstance(default, str):
            raise ImportRefused(f"The server URL's variable '{{{name}}}' has no default.")
        url = url.replace(f"{{{name}}}", default)
    if not urlsplit(url).scheme:
        if document_url is None:
            raise ImportRefused(f"The server URL '{url}' is relative to where the document lives; pass --base-url.")
        url = urljoin(document_url, url)
    return url


def base_url_check(url: str) -> str:
    """An absolute http(s) URL with no query, fragment or braces, without its trailing '/'."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImportRefused(f"The base URL '{url}' is not an absolute http:// or https:// URL.")
    if parts.query or parts.fragment or "{" in url or "}" in url:
        raise ImportRefused(f"The base URL '{url}' must have no query, fragment or braces.")
    return url.rstrip("/")


# --- One operation -------------------------------------------------------------


@dataclass
class _Inputs:
    """An operation's input schema under construction, and what fills the URL, the query and the body."""

    properties: dict = field(default_factory=dict)
    required: list[str] = field(default_factory=list)
    path: list[str] = field(default_factory=list)
    query: list[str] = field(default_factory=list)
    references: set[str] = field(default_factory=set)  # component schemas the properties refer to
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, schema, *, required: bool, place: str) -> None:
        if name in self.properties:
            raise _Unmappable(f"'{name}' names more than one of its inputs.")
        self.properties[name] = schema
        if required:
            self.required.append(name)
        if place == "path":
            self.path.append(name)
        elif place == "query":
            self.query.append(name)

    def drop(self, name: str) -> None:
        del self.properties[name]
        self.required.remove(name)
        self.path.remove(name)


class _OperationMapper:
    """Maps operations of one document, with the base URL and the credentials every tool gets."""

    def __init__(self, document: dict, *, base_url, servers_apply: bool, document_url, credentials):
        self.document = document
        self.base_url: str | ImportRefused = base_url  # the document's, or why it has none (refused when needed)
        self.servers_apply = servers_apply  # False when --base-url overrides every servers list
        self.document_url = document_url
        self.schemas = SchemaConverter(document)
        self.supplied_headers = {item["name"].lower() for item in credentials if item.get("in") == "header"}
        self.supplied_query = {item["name"] for item in credentials if item.get("in") == "query"}

    def fields(self, path: str, path_item: dict, method: str, operation: dict) -> tuple[dict, list[str]]:
        """The definition's fields (all but the name) and the notes on what was left out."""
        inputs = _Inputs()
        for parameter in self._parameters(path_item, operation):
            self._add_parameter(inputs, parameter)
        self._add_body(inputs, operation, method)
        self._check_path(inputs, path)
        base_url = self._base_url(path_item, operation)
        if method in METHODS_WITH_BODY and BODY_PROPERTY not in inputs.properties:
            inputs.notes.append("it declares no request body; the gateway sends {}")
        if operation.get("deprecated") is True:
            inputs.notes.append("deprecated")
        schema = {
            "type": "object",
            "properties": inputs.properties,
            "required": inputs.required,
            "additionalProperties": False,
        }
        if inputs.references:
            schema["$defs"] = self.schemas.definitions(inputs.references)
        fields = {
            "description": _description(operation),
            "input_schema": schema,
            "method": method,
            "url_template": base_url + path,
            "query_params": inputs.query,
            "body_field": BODY_PROPERTY if BODY_PROPERTY in inputs.properties else "",
        }
        return fields, inputs.notes

    def _base_url(self, path_item: dict, operation: dict) -> str:
        servers = operation.get("servers") or path_item.get("servers")
        if self.servers_apply and servers:
            try:
                return base_url_check(_server_url(servers, self.document_url))
            except ImportRefused as refused:
                raise _Unmappable(str(refused)) from None
        if isinstance(self.base_url, ImportRefused):
            raise self.base_url  # the whole import: every operation without its own server needs it
        return self.base_url

    def _parameters(self, path_item: dict, operation: dict) -> list[dict]:
        """The path item's parameters and the operation's own; the operation's win."""
        merged: dict[tuple[str, str], dict] = {}
        for listed in (path_item.get("parameters", []), operation.get("parameters", [])):
            if not isinstance(listed, list):
                raise _Unmappable("Its 'parameters' is not a list.")
            for raw in listed:
                parameter = _resolve(self.document, raw, "parameter")
                name, place = parameter.get("name"), parameter.get("in")
                if not isinstance(name, str) or place not in ("path", "query", "header", "cookie"):
                    raise _Unmappable("A parameter has no name, or is in none of path, query, header and cookie.")
                merged[(name, place)] = parameter
        return list(merged.values())

    def _add_parameter(self, inputs: _Inputs, parameter: dict) -> None:
        name, place = parameter["name"], parameter["in"]
        required = place == "path" or parameter.get("required") is True
        if place == "header" and name.lower() in IGNORED_HEADERS | self.supplied_headers:
            return
        if place == "query" and name in self.supplied_query:
            return
        if place in ("header", "cookie"):
            if required:
                raise _Unmappable(f"It requires the {place} parameter '{name}', which the gateway does not send.")
            inputs.notes.append(f"optional {place} parameter '{name}' left out")
            return
        schema = self._parameter_schema(parameter, inputs.references)
        problem = self._encoding_problem(parameter, schema)
        if problem and required:
            raise _Unmappable(f"The {place} parameter '{name}' is {problem}, which the gateway cannot send.")
        if problem:
            inputs.notes.append(f"optional query parameter '{name}' left out: {problem}")
            return
        inputs.add(name, schema, required=required, place=place)

    def _parameter_schema(self, parameter: dict, references: set[str]):
        content = parameter.get("content")
        media = next(iter(content.values()), None) if isinstance(content, dict) else None
        source = parameter.get("schema", media.get("schema", {}) if isinstance(media, dict) else {})
        schema = self.schemas.convert(source, references)
        description = parameter.get("description")
        if isinstance(description, str) and description and isinstance(schema, dict) and "description" not in schema:
            schema = {"description": description, **schema}
        return schema

    def _encoding_problem(self, parameter: dict, schema) -> str | None:
        """Why the gateway could not send this path or query parameter the way the API reads it, if it could not.

        The gateway fills a path placeholder with one value, and sends a list as the parameter repeated
        (OpenAPI's default, form style exploded) and anything else as one value (an object as JSON).
        """
        kind, style = self.schemas.declared_type(schema), parameter.get("style")
        if parameter["in"] == "path":
            if style not in (None, "simple"):
                return f"of style '{style}'"
            return f"an {kind}" if kind in ("array", "object") else None
        if style not in (None, "form"):
            return f"of style '{style}'"
        if kind == "object" and "content" not in parameter:
            return "an object spread over several query parameters"
        if kind == "array" and ("content" in parameter or parameter.get("explode", True) is False):
            return "an array sent as one value"
        return None

    def _add_body(self, inputs: _Inputs, operation: dict, method: str) -> None:
        if "requestBody" not in operation:
            return
        body = _resolve(self.document, operation["requestBody"], "request body")
        content = body.get("content")
        if not isinstance(content, dict) or not content:
            return
        required = body.get("required") is True
        if method not in METHODS_WITH_BODY:
            if required:
                raise _Unmappable(f"It requires a request body, and a {method} sends none.")
            inputs.notes.append(f"optional request body left out: a {method} sends none")
            return
        json_types = sorted(filter(is_json_media_type, content), key=lambda media: media != "application/json")
        if not json_types:
            raise _Unmappable(f"Its request body is {', '.join(content)}; only JSON request bodies are sent.")
        media = content[json_types[0]]
        schema = self.schemas.convert(media.get("schema", {}) if isinstance(media, dict) else {}, inputs.references)
        description = body.get("description")
        if isinstance(description, str) and description and isinstance(schema, dict) and "description" not in schema:
            schema = {"description": description, **schema}
        if BODY_PROPERTY in inputs.properties:
            raise _Unmappable(f"A parameter is named '{BODY_PROPERTY}', the name its request body takes.")
        inputs.add(BODY_PROPERTY, schema, required=required, place="body")

    @staticmethod
    def _check_path(inputs: _Inputs, path: str) -> None:
        placeholders = re.findall(r"\{([^{}]*)\}", path)
        for name in placeholders:
            if not is_plain_placeholder(name):
                raise _Unmappable(f"The path placeholder '{{{name}}}' is not one a URL template can fill.")
            if name not in inputs.path:
                raise _Unmappable(f"The path placeholder '{{{name}}}' has no path parameter.")
        for name in [name for name in inputs.path if name not in placeholders]:
            inputs.drop(name)  # else, not in the URL, it would travel in the query
            inputs.notes.append(f"path parameter '{name}' left out: the path has no '{{{name}}}'")


# --- The plan ------------------------------------------------------------------


def import_plan(
    document: dict,
    *,
    base_url: str | None = None,
    document_url: str | None = None,
    prefix: str = "",
    credentials: Sequence[dict] = (),
) -> ImportPlan:
    """Every operation of `document` as a tool definition, or skipped with its reason.

    `base_url` overrides the document's servers; `document_url` is what a relative server URL is
    resolved against. `credentials` (as a definition holds them) fill the headers and query
    parameters they name, so an operation that requires one of those is not skipped for it.
    """
    if prefix and not re.fullmatch(TOOL_NAME_PATTERN, prefix):
        raise ImportRefused(f"The prefix '{prefix}' cannot start a tool name: letters, digits, '_', '.', '-'.")
    servers_apply = base_url is None
    try:
        if base_url is None:  # no servers: OpenAPI's default server is '/'
            base_url = _server_url(document.get("servers") or [{"url": "/"}], document_url)
        base_url = base_url_check(base_url)
    except ImportRefused as refused:
        if not servers_apply:
            raise
        base_url = refused
    info = document.get("info") if isinstance(document.get("info"), dict) else {}
    shown_base_url = None if isinstance(base_url, ImportRefused) else base_url
    plan = ImportPlan(title=str(info.get("title", "")), base_url=shown_base_url)
    mapper = _OperationMapper(
        document, base_url=base_url, servers_apply=servers_apply, document_url=document_url, credentials=credentials
    )
    taken: dict[str, Operation] = {}
    for path, raw_item in (document.get("paths") or {}).items():
        try:
            if not path.startswith("/"):
                raise _Unmappable("Its path does not start with '/'.")
            path_item = _resolve(document, raw_item, "path item")
        except _Unmappable as unmappable:
            plan.skipped.append(SkippedOperation(Operation("*", path), str(unmappable)))
            continue
        for key, operation in path_item.items():
            if key not in OPERATION_METHODS:
                continue
            operation_id = operation.get("operationId") if isinstance(operation, dict) else None
            where = Operation(key.upper(), path, tool_name(operation_id, key, path, prefix))
            reason = _name_refusal(where, taken)
            if reason is None:
                try:
                    if not isinstance(operation, dict):
                        raise _Unmappable("It is not an operation object.")
                    fields, notes = mapper.fields(path, path_item, where.method, operation)
                except (_Unmappable, SchemaUnmappable) as unmappable:
                    reason = str(unmappable)
            if reason is not None:
                plan.skipped.append(SkippedOperation(where, reason))
                continue
            taken[where.name] = where
            plan.tools.append(PlannedTool(where, {"name": where.name, **fields}, tuple(notes)))
    return plan


def _name_refusal(where: Operation, taken: dict[str, Operation]) -> str | None:
    if where.method not in HttpMethod.values:
        return f"An HTTP tool sends {', '.join(HttpMethod.values)}; not {where.method}."
    if registry.get(where.name) is not None:
        return f"'{where.name}' is a built-in tool's name."
    if where.name in taken:
        first = taken[where.name]
        return f"The tool name '{where.name}' is already taken by {first.method} {first.path} in this document."
    return None
