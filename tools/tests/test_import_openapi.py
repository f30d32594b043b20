"""`manage.py import_openapi`: the pure mapping (tools/openapi_import.py) on the real Petstore document and on
small documents made for one rule each; then the command, writing tools a tenant calls through the gateway."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from jsonschema import Draft202012Validator

from tools.models import HttpTool
from tools.openapi_import import ImportRefused, document_load, import_plan
from tools.vault import secret_store

PETSTORE = Path(__file__).parent / "fixtures" / "petstore-openapi.yaml"
BASE = "https://petstore.example/api/v3"
PETSTORE_TOOLS = [
    ("addPet", "POST", "/pet"),
    ("updatePet", "PUT", "/pet"),
    ("findPetsByStatus", "GET", "/pet/findByStatus"),
    ("findPetsByTags", "GET", "/pet/findByTags"),
    ("getPetById", "GET", "/pet/{petId}"),
    ("updatePetWithForm", "POST", "/pet/{petId}"),
    ("deletePet", "DELETE", "/pet/{petId}"),
    ("getInventory", "GET", "/store/inventory"),
    ("placeOrder", "POST", "/store/order"),
    ("getOrderById", "GET", "/store/order/{orderId}"),
    ("deleteOrder", "DELETE", "/store/order/{orderId}"),
    ("createUser", "POST", "/user"),
    ("createUsersWithListInput", "POST", "/user/createWithList"),
    ("loginUser", "GET", "/user/login"),
    ("logoutUser", "GET", "/user/logout"),
    ("getUserByName", "GET", "/user/{username}"),
    ("updateUser", "PUT", "/user/{username}"),
    ("deleteUser", "DELETE", "/user/{username}"),
]
UPLOAD_SKIPPED = "Its request body is application/octet-stream; only JSON request bodies are sent."
NO_BODY_NOTE = "it declares no request body; the gateway sends {}"
API_KEY_NOTE = "optional header parameter 'api_key' left out"


def petstore_plan(**options):
    return import_plan(document_load(PETSTORE.read_bytes()), **({"base_url": BASE} | options))


def planned(plan, name: str) -> dict:
    return next(tool.fields for tool in plan.tools if tool.fields["name"] == name)


def document(paths: dict, *, openapi="3.0.3", components=None, servers=None) -> dict:
    """A small OpenAPI document around `paths`, read as the command would read it."""
    source = {"openapi": openapi, "info": {"title": "Made for a test", "version": "1"}, "paths": paths}
    source |= {"components": components} if components else {}
    source |= {"servers": servers} if servers else {}
    return document_load(json.dumps(source).encode())


def get(**operation) -> dict:
    return {"get": {"responses": {"200": {"description": "ok"}}, **operation}}


def post_json(schema, **operation) -> dict:
    body = {"required": True, "content": {"application/json": {"schema": schema}}}
    return {"post": {"responses": {"200": {"description": "ok"}}, "requestBody": body, **operation}}


def only_tool(plan) -> dict:
    assert plan.skipped == []
    [tool] = plan.tools
    return tool.fields


def body_validator(fields: dict) -> Draft202012Validator:
    Draft202012Validator.check_schema(fields["input_schema"])
    return Draft202012Validator(fields["input_schema"], format_checker=Draft202012Validator.FORMAT_CHECKER)


# --- The mapping, on the Petstore document -------------------------------------------------------


class TestPetstoreMapping:
    def test_every_operation_but_the_upload_becomes_a_tool(self):
        plan = petstore_plan()

        assert plan.title == "Swagger Petstore - OpenAPI 3.0"
        assert [(tool.fields["name"], tool.fields["method"], tool.operation.path) for tool in plan.tools] == (
            PETSTORE_TOOLS
        )
        assert [tool.fields["url_template"] for tool in plan.tools][:5] == [
            f"{BASE}/pet",
            f"{BASE}/pet",
            f"{BASE}/pet/findByStatus",
            f"{BASE}/pet/findByTags",
            f"{BASE}/pet/{{petId}}",
        ]
        [(skipped)] = plan.skipped
        assert (skipped.operation.name, skipped.operation.method, skipped.operation.path, skipped.reason) == (
            "uploadFile",
            "POST",
            "/pet/{petId}/uploadImage",
            UPLOAD_SKIPPED,
        )

    def test_every_input_schema_is_valid_json_schema_2020_12(self):
        for tool in petstore_plan().tools:
            Draft202012Validator.check_schema(tool.fields["input_schema"])

    def test_get_pet_by_id_fills_the_path_with_a_required_integer(self):
        fields = planned(petstore_plan(), "getPetById")

        assert fields == {
            "name": "getPetById",
            "description": "Find pet by ID\n\nReturns a single pet",
            "method": "GET",
            "url_template": f"{BASE}/pet/{{petId}}",
            "query_params": [],
            "body_field": "",
            "input_schema": {
                "type": "object",
                "properties": {"petId": {"description": "ID of pet to return", "type": "integer", "format": "int64"}},
                "required": ["petId"],
                "additionalProperties": False,
            },
        }
        validator = body_validator(fields)
        assert validator.is_valid({"petId": 7})
        assert not validator.is_valid({"petId": "seven"})
        assert not validator.is_valid({})

    def test_find_by_status_sends_its_optional_enum_in_the_query(self):
        fields = planned(petstore_plan(), "findPetsByStatus")

        assert fields["query_params"] == ["status"]
        assert fields["input_schema"]["required"] == []
        assert fields["input_schema"]["properties"]["status"] == {
            "description": "Status values that need to be considered for filter",
            "type": "string",
            "enum": ["available", "pending", "sold"],
            "default": "available",
        }
        assert not body_validator(fields).is_valid({"status": "lost"})

    def test_find_by_tags_takes_an_array_sent_as_the_parameter_repeated(self):
        fields = planned(petstore_plan(), "findPetsByTags")

        assert fields["query_params"] == ["tags"]
        assert fields["input_schema"]["properties"]["tags"]["type"] == "array"

    def test_add_pet_takes_the_pet_as_its_body_with_the_schemas_it_reaches_as_defs(self):
        fields = planned(petstore_plan(), "addPet")
        schema = fields["input_schema"]

        assert (fields["method"], fields["body_field"], fields["query_params"]) == ("POST", "body", [])
        assert schema["properties"] == {"body": {"description": "Create a new pet in the store", "$ref": "#/$defs/Pet"}}
        assert schema["required"] == ["body"]
        assert sorted(schema["$defs"]) == ["Category", "Pet", "Tag"]
        pet = schema["$defs"]["Pet"]
        assert pet["required"] == ["name", "photoUrls"]
        assert pet["properties"]["tags"] == {"type": "array", "items": {"$ref": "#/$defs/Tag"}}
        assert "xml" not in pet and "x-swagger-router-model" not in pet  # serialisation hints dropped
        assert pet["properties"]["name"] == {"type": "string", "example": "doggie"}

        validator = body_validator(fields)
        doggie = {
            "name": "doggie",
            "photoUrls": ["https://img.example/1.png"],
            "status": "available",
            "category": {"id": 1, "name": "Dogs"},
            "tags": [{"id": 3, "name": "good"}],
        }
        assert validator.is_valid({"body": doggie})
        assert not validator.is_valid({"body": {"name": "doggie"}})  # photoUrls is required
        assert not validator.is_valid({"body": doggie | {"status": "lost"}})
        assert not validator.is_valid({"body": doggie | {"tags": [{"id": "three"}]}})  # through Tag's $def
        assert not validator.is_valid({"body": doggie, "owner": "me"})  # no input beyond the operation's

    def test_parameters_beside_the_body_or_without_one(self):
        plan = petstore_plan()
        form = planned(plan, "updatePetWithForm")
        assert (form["query_params"], form["body_field"]) == (["name", "status"], "")
        assert form["input_schema"]["required"] == ["petId"]
        update_user = planned(plan, "updateUser")
        assert update_user["body_field"] == "body"
        assert update_user["input_schema"]["required"] == ["username"]  # its body is optional
        listed = planned(plan, "createUsersWithListInput")["input_schema"]
        assert listed["properties"]["body"] == {"type": "array", "items": {"$ref": "#/$defs/User"}}
        assert list(listed["$defs"]) == ["User"]

    def test_notes_say_what_was_left_out(self):
        notes = {tool.fields["name"]: tool.notes for tool in petstore_plan().tools if tool.notes}

        assert notes == {"updatePetWithForm": (NO_BODY_NOTE,), "deletePet": (API_KEY_NOTE,)}

    def test_prefix_goes_in_front_of_every_name(self):
        plan = petstore_plan(prefix="petstore.")
        assert [tool.fields["name"] for tool in plan.tools][:2] == ["petstore.addPet", "petstore.updatePet"]
        assert plan.skipped[0].operation.name == "petstore.uploadFile"

    def test_a_relative_server_url_is_resolved_against_the_documents_url_or_refused(self):
        resolved = petstore_plan(base_url=None, document_url="https://petstore3.example/api/v3/openapi.json")
        assert resolved.base_url == "https://petstore3.example/v3"
        assert planned(resolved, "getPetById")["url_template"] == "https://petstore3.example/v3/pet/{petId}"

        with pytest.raises(ImportRefused, match="The server URL '/v3' is relative .* pass --base-url"):
            petstore_plan(base_url=None)


# --- The mapping, rule by rule -------------------------------------------------------------------


class TestNames:
    def test_operation_id_is_sanitised_and_a_missing_one_becomes_method_path(self):
        plan = import_plan(
            document(
                {
                    "/items/{itemId}/sub-items": get(
                        parameters=[{"name": "itemId", "in": "path", "required": True, "schema": {"type": "string"}}]
                    ),
                    "/orders": get(operationId="list orders/v2"),
                }
            ),
            base_url=BASE,
        )
        assert [tool.fields["name"] for tool in plan.tools] == ["get_items_itemId_sub-items", "list_orders_v2"]

    def test_an_operation_id_with_nothing_a_name_may_hold_becomes_method_path(self):
        plan = import_plan(document({"/orders/": {"post": {"operationId": "✓✓"}}}), base_url=BASE)
        assert plan.tools[0].fields["name"] == "post_orders"

    def test_duplicates_and_built_in_names_are_skipped(self):
        plan = import_plan(
            document({"/a": get(operationId="same"), "/b": get(operationId="same"), "/c": get(operationId="echo")}),
            base_url=BASE,
        )
        assert [tool.fields["name"] for tool in plan.tools] == ["same"]
        assert [(item.operation.path, item.reason) for item in plan.skipped] == [
            ("/b", "The tool name 'same' is already taken by GET /a in this document."),
            ("/c", "'echo' is a built-in tool's name."),
        ]

    def test_methods_a_tool_cannot_send_are_skipped(self):
        plan = import_plan(document({"/a": {"head": {"responses": {}}, "options": {"responses": {}}}}), base_url=BASE)
        assert [(item.operation.method, item.reason) for item in plan.skipped] == [
            ("HEAD", "An HTTP tool sends GET, POST, PUT, PATCH, DELETE; not HEAD."),
            ("OPTIONS", "An HTTP tool sends GET, POST, PUT, PATCH, DELETE; not OPTIONS."),
        ]

    def test_the_description_is_cut_to_what_a_definition_holds(self):
        fields = only_tool(import_plan(document({"/a": get(summary="Long", description="x" * 5000)}), base_url=BASE))
        assert len(fields["description"]) == 4000
        assert fields["description"].startswith("Long\n\nxxx") and fields["description"].endswith("x…")


class TestParameters:
    def test_a_required_header_skips_the_operation_unless_a_credential_sends_it(self):
        required_header = get(parameters=[{"name": "X-Api-Key", "in": "header", "required": True}])
        refused = import_plan(document({"/a": required_header}), base_url=BASE)
        assert refused.skipped[0].reason == (
            "It requires the header parameter 'X-Api-Key', which the gateway does not send."
        )

        credential = {"secret": "token", "in": "header", "name": "x-api-key", "format": "{secret}"}
        sent = import_plan(document({"/a": required_header}), base_url=BASE, credentials=[credential])
        assert only_tool(sent)["input_schema"]["properties"] == {}

    def test_a_query_parameter_a_credential_sends_is_no_input(self):
        operation = get(
            parameters=[
                {"name": "api_key", "in": "query", "required": True, "schema": {"type": "string"}},
                {"name": "q", "in": "query", "schema": {"type": "string"}},
            ]
        )
        credential = {"secret": "token", "in": "query", "name": "api_key", "format": "{secret}"}
        fields = only_tool(import_plan(document({"/a": operation}), base_url=BASE, credentials=[credential]))
        assert (list(fields["input_schema"]["properties"]), fields["query_params"]) == (["q"], ["q"])

    def test_optional_header_and_cookie_parameters_are_left_out_with_a_note(self):
        operation = get(
            parameters=[
                {"name": "X-Trace", "in": "header"},
                {"name": "session", "in": "cookie"},
                {"name": "Accept", "in": "header", "required": True},
            ]
        )
        [tool] = import_plan(document({"/a": operation}), base_url=BASE).tools
        assert tool.notes == (
            "optional header parameter 'X-Trace' left out",
            "optional cookie parameter 'session' left out",
        )
        assert tool.fields["input_schema"]["properties"] == {}  # Accept: OpenAPI says to ignore it

    def test_a_required_cookie_skips_the_operation(self):
        plan = import_plan(
            document({"/a": get(parameters=[{"name": "sid", "in": "cookie", "required": True}])}), base_url=BASE
        )
        assert plan.skipped[0].reason == "It requires the cookie parameter 'sid', which the gateway does not send."

    def test_parameters_by_reference_and_from_the_path_item(self):
        components = {
            "parameters": {
                "Limit": {"name": "limit", "in": "query", "required": True, "schema": {"type": "integer", "minimum": 1}}
            }
        }
        path_item = {
            "parameters": [{"name": "shop", "in": "path", "required": True, "schema": {"type": "string"}}],
            **get(parameters=[{"$ref": "#/components/parameters/Limit"}]),
        }
        fields = only_tool(
            import_plan(document({"/shops/{shop}/items": path_item}, components=components), base_url=BASE)
        )
        assert fields["input_schema"]["required"] == ["shop", "limit"]
        assert fields["query_params"] == ["limit"]
        assert fields["input_schema"]["properties"]["limit"] == {"type": "integer", "minimum": 1}

    def test_a_query_encoding_the_gateway_cannot_reproduce(self):
        piped = {"name": "ids", "in": "query", "style": "pipeDelimited", "schema": {"type": "array"}}
        commas = {"name": "tags", "in": "query", "explode": False, "schema": {"type": "array"}}
        plan = import_plan(
            document({"/a": get(parameters=[piped, commas]), "/b": get(parameters=[commas | {"required": True}])}),
            base_url=BASE,
        )
        assert plan.tools[0].notes == (
            "optional query parameter 'ids' left out: of style 'pipeDelimited'",
            "optional query parameter 'tags' left out: an array sent as one value",
        )
        assert plan.skipped[0].reason == (
            "The query parameter 'tags' is an array sent as one value, which the gateway cannot send."
        )

    def test_a_path_placeholder_without_a_parameter_skips_the_operation(self):
        plan = import_plan(document({"/a/{id}": get()}), base_url=BASE)
        assert plan.skipped[0].reason == "The path placeholder '{id}' has no path parameter."

    def test_a_placeholder_str_format_would_misread_skips_the_operation(self):
        pet_id = {"name": "pet.id", "in": "path", "required": True, "schema": {"type": "integer"}}
        plan = import_plan(document({"/pets/{pet.id}": get(parameters=[pet_id])}), base_url=BASE)
        assert plan.skipped[0].reason == "The path placeholder '{pet.id}' is not one a URL template can fill."

    def test_a_path_parameter_the_path_does_not_name_is_left_out(self):
        stray = {"name": "shop", "in": "path", "required": True, "schema": {"type": "string"}}
        [tool] = import_plan(document({"/items": get(parameters=[stray])}), base_url=BASE).tools
        assert tool.fields["input_schema"]["properties"] == {}
        assert tool.notes == ("path parameter 'shop' left out: the path has no '{shop}'",)

    def test_an_external_reference_skips_the_operation(self):
        plan = import_plan(document({"/a": get(parameters=[{"$ref": "common.yaml#/Limit"}])}), base_url=BASE)
        assert plan.skipped[0].reason == (
            "The parameter $ref 'common.yaml#/Limit' is outside this document; only local ones are read."
        )


class TestBodies:
    def test_only_json_bodies_are_sent(self):
        form = {"post": {"requestBody": {"content": {"multipart/form-data": {}, "application/xml": {}}}}}
        vendor_json = {
            "post": {"requestBody": {"content": {"application/vnd.api+json": {"schema": {"type": "object"}}}}}
        }
        plan = import_plan(document({"/form": form, "/json": vendor_json}), base_url=BASE)
        assert plan.skipped[0].reason == (
            "Its request body is multipart/form-data, application/xml; only JSON request bodies are sent."
        )
        assert plan.tools[0].fields["input_schema"]["properties"] == {"body": {"type": "object"}}
        assert plan.tools[0].fields["input_schema"]["required"] == []  # not required unless it says so

    def test_a_body_by_reference(self):
        components = {
            "requestBodies": {
                "Note": {"required": True, "content": {"application/json": {"schema": {"type": "string"}}}}
            }
        }
        operation = {"put": {"requestBody": {"$ref": "#/components/requestBodies/Note"}}}
        fields = only_tool(import_plan(document({"/a": operation}, components=components), base_url=BASE))
        assert fields["input_schema"]["properties"] == {"body": {"type": "string"}}
        assert (fields["input_schema"]["required"], fields["body_field"]) == (["body"], "body")

    def test_a_body_on_a_method_that_sends_none(self):
        body = {"content": {"application/json": {"schema": {"type": "object"}}}}
        plan = import_plan(
            document(
                {"/a": {"delete": {"requestBody": body}}, "/b": {"delete": {"requestBody": body | {"required": True}}}}
            ),
            base_url=BASE,
        )
        assert plan.tools[0].notes == ("optional request body left out: a DELETE sends none",)
        assert plan.skipped[0].reason == "It requires a request body, and a DELETE sends none."

    def test_a_parameter_named_body_would_collide(self):
        operation = post_json({"type": "object"}, parameters=[{"name": "body", "in": "query"}])
        plan = import_plan(document({"/a": operation}), base_url=BASE)
        assert plan.skipped[0].reason == "A parameter is named 'body', the name its request body takes."


class TestSchemas:
    def test_openapi_30_nullable_and_exclusive_bounds(self):
        schema = {
            "type": "object",
            "properties": {
                "nickname": {"type": "string", "nullable": True},
                "age": {"type": "integer", "minimum": 0, "exclusiveMinimum": True, "xml": {"attribute": True}},
            },
        }
        fields = only_tool(import_plan(document({"/a": post_json(schema)}), base_url=BASE))
        body = fields["input_schema"]["properties"]["body"]
        assert body["properties"] == {
            "nickname": {"type": ["string", "null"]},
            "age": {"type": "integer", "exclusiveMinimum": 0},
        }
        validator = body_validator(fields)
        assert validator.is_valid({"body": {"nickname": None, "age": 1}})
        assert not validator.is_valid({"body": {"age": 0}})

    def test_a_recursive_schema_still_validates(self):
        components = {
            "schemas": {
                "Node": {
                    "type": "object",
                    "required": ["value"],
                    "properties": {
                        "value": {"type": "integer"},
                        "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                    },
                }
            }
        }
        fields = only_tool(
            import_plan(
                document({"/tree": post_json({"$ref": "#/components/schemas/Node"})}, components=components),
                base_url=BASE,
            )
        )
        assert fields["input_schema"]["$defs"]["Node"]["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
        validator = body_validator(fields)
        assert validator.is_valid({"body": {"value": 1, "children": [{"value": 2, "children": [{"value": 3}]}]}})
        assert not validator.is_valid({"body": {"value": 1, "children": [{"value": 2, "children": [{}]}]}})

    def test_openapi_31_keeps_a_refs_siblings_and_its_json_schema(self):
        components = {"schemas": {"Pet": {"type": "object", "properties": {"name": {"type": ["string", "null"]}}}}}
        body = {"$ref": "#/components/schemas/Pet", "description": "The pet", "required": ["name"]}
        fields = only_tool(
            import_plan(document({"/a": post_json(body)}, openapi="3.1.0", components=components), base_url=BASE)
        )
        assert fields["input_schema"]["properties"]["body"] == {
            "$ref": "#/$defs/Pet",
            "description": "The pet",
            "required": ["name"],
        }
        assert not body_validator(fields).is_valid({"body": {}})

    def test_a_reference_to_a_missing_schema_skips_the_operation(self):
        plan = import_plan(document({"/a": post_json({"$ref": "#/components/schemas/Gone"})}), base_url=BASE)
        assert plan.skipped[0].reason == "$ref '#/components/schemas/Gone' names no schema in components.schemas."


class TestServers:
    def test_server_variables_take_their_defaults(self):
        servers = [
            {
                "url": "https://{region}.api.example/{version}",
                "variables": {"region": {"default": "eu"}, "version": {"default": "v2"}},
            }
        ]
        plan = import_plan(document({"/a": get()}, servers=servers))
        assert plan.tools[0].fields["url_template"] == "https://eu.api.example/v2/a"

    def test_the_base_url_overrides_every_server(self):
        operation = get(servers=[{"url": "https://elsewhere.example"}])
        plan = import_plan(document({"/a": operation}, servers=[{"url": "https://api.example"}]), base_url=BASE + "/")
        assert plan.tools[0].fields["url_template"] == f"{BASE}/a"
        assert import_plan(document({"/a": operation})).tools[0].fields["url_template"] == (
            "https://elsewhere.example/a"
        )

    @pytest.mark.parametrize(
        ("base_url", "problem"),
        [("ftp://files.example", "not an absolute http"), ("https://api.example/?v=1", "no query, fragment")],
    )
    def test_a_base_url_that_cannot_start_a_url_template_is_refused(self, base_url, problem):
        with pytest.raises(ImportRefused, match=problem):
            import_plan(document({"/a": get()}), base_url=base_url)


class TestDocumentLoad:
    def test_json_and_yaml_read_alike_and_dates_stay_strings(self):
        source = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}
        assert document_load(json.dumps(source).encode()) == source
        yaml_source = yaml.safe_dump(source).encode() + b"x-released: 2024-01-02\n"
        assert document_load(yaml_source)["x-released"] == "2024-01-02"

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (b'{"swagger": "2.0", "paths": {}}', r"This is a Swagger 2.0 \(OpenAPI 2\) document; only OpenAPI 3.0"),
            (b"title: a shopping list\nitems: [eggs]\n", "Not an OpenAPI document: it has no 'openapi' version"),
            (b"- just\n- a list\n", "Not an OpenAPI document: its top level is not an object"),
            (b'{"openapi": "2.5"}', "OpenAPI 2.5 is not supported"),
            (b"openapi: 3.0.0\npaths: [\n", "neither JSON nor YAML"),
            (b"\xff\xfe", "not UTF-8"),
        ],
    )
    def test_what_is_not_an_openapi_3_document_is_refused(self, raw, message):
        with pytest.raises(ImportRefused, match=message):
            document_load(raw)

    def test_yaml_aliases_that_expand_beyond_reason_are_refused(self):
        lines = ["openapi: 3.0.0", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
        lines += [f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 10)}]" for level in range(1, 9)]
        with pytest.raises(ImportRefused, match="expands to more than"):
            document_load("\n".join(lines).encode())

    @pytest.mark.parametrize("levels", [150, 100_000])
    def test_a_document_nested_too_deep_is_refused(self, levels):
        raw = '{"openapi": "3.0.0", "x-deep": ' + "[" * levels + "]" * levels + "}"
        with pytest.raises(ImportRefused, match="nests more than 100 levels deep"):
            document_load(raw.encode())

    def test_nesting_made_through_yaml_aliases_counts_too(self):
        lines = ["openapi: 3.0.0", "a0: &a0 [leaf]"] + [
            f"a{level}: &a{level} [*a{level - 1}]" for level in range(1, 150)
        ]
        with pytest.raises(ImportRefused, match="nests more than 100 levels deep"):
            document_load("\n".join(lines).encode())

    def test_a_document_holding_itself_is_refused(self):
        with pytest.raises(ImportRefused, match="holds itself"):
            document_load(b"openapi: 3.0.0\npaths: &p\n  /a: *p\n")


# --- The command -----------------------------------------------------------------------------------


def run(*args: str) -> list[str]:
    """`manage.py import_openapi` with `args`; its report, each line's columns joined by one space."""
    out = StringIO()
    call_command("import_openapi", *args, stdout=out)
    return [" ".join(line.split()) for line in out.getvalue().splitlines()]


def expected_report(outcome: str) -> list[str]:
    notes = {"updatePetWithForm": f" ({NO_BODY_NOTE})", "deletePet": f" ({API_KEY_NOTE})"}
    return [f"{outcome} {name} {method} {path}{notes.get(name, '')}" for name, method, path in PETSTORE_TOOLS] + [
        f"skipped uploadFile POST /pet/{{petId}}/uploadImage: {UPLOAD_SKIPPED}"
    ]


def owned(tenant) -> list[str]:
    return sorted(HttpTool.objects.filter(tenant=tenant).values_list("name", flat=True))


@pytest.mark.django_db
class TestImportCommand:
    def test_imports_the_petstore_for_a_tenant_and_its_tools_reach_the_upstream(self, invoke, acme_admin, upstream):
        tenant = acme_admin.tenant
        report = run("--file", str(PETSTORE), "--tenant", str(tenant.id), "--base-url", upstream.url("/ok/v3"))

        assert report == [
            f"Swagger Petstore - OpenAPI 3.0 for tenant Acme ({tenant.id}), base URL {upstream.url('/ok/v3')}",
            *expected_report("created"),
            "18 created, 1 skipped.",
        ]
        assert owned(tenant) == sorted(name for name, _, _ in PETSTORE_TOOLS)

        by_id = invoke(acme_admin, {"tool_name": "getPetById", "payload": {"petId": 7}}, key="k-1")
        assert by_id.status_code == 200, by_id.json()
        arrived = by_id.json()["result"]["body"]
        assert (arrived["method"], arrived["path"], arrived["query"], arrived["body"]) == (
            "GET",
            "/ok/v3/pet/7",
            {},
            "",
        )

        by_status = invoke(acme_admin, {"tool_name": "findPetsByStatus", "payload": {"status": "sold"}}, key="k-2")
        arrived = by_status.json()["result"]["body"]
        assert (arrived["method"], arrived["path"], arrived["query"]) == (
            "GET",
            "/ok/v3/pet/findByStatus",
            {"status": ["sold"]},
        )

        by_tags = invoke(acme_admin, {"tool_name": "findPetsByTags", "payload": {"tags": ["a", "b"]}}, key="k-3")
        assert by_tags.json()["result"]["body"]["query"] == {"tags": ["a", "b"]}

        doggie = {"name": "doggie", "photoUrls": ["https://img.example/1.png"], "tags": [{"id": 1, "name": "good"}]}
        added = invoke(acme_admin, {"tool_name": "addPet", "payload": {"body": doggie}}, key="k-4")
        arrived = added.json()["result"]["body"]
        assert (arrived["method"], arrived["path"], arrived["query"]) == ("POST", "/ok/v3/pet", {})
        assert json.loads(arrived["body"]) == doggie
        assert arrived["headers"]["Content-Type"] == "application/json"

        form = invoke(acme_admin, {"tool_name": "updatePetWithForm", "payload": {"petId": 7, "name": "rex"}}, key="k-5")
        arrived = form.json()["result"]["body"]
        assert (arrived["method"], arrived["path"], arrived["query"]) == ("POST", "/ok/v3/pet/7", {"name": ["rex"]})

        # The input schema is enforced before anything leaves: photoUrls is missing.
        refused = invoke(acme_admin, {"tool_name": "addPet", "payload": {"body": {"name": "rex"}}}, key="k-6")
        assert refused.status_code == 422
        assert len(upstream.received()) == 5

    def test_a_second_import_updates_the_same_tools_and_keeps_what_the_document_does_not_say(self, acme_admin):
        tenant_id = str(acme_admin.tenant.id)
        run("--file", str(PETSTORE), "--tenant", tenant_id, "--base-url", BASE)
        tuned = HttpTool.objects.get(tenant=acme_admin.tenant, name="getPetById")
        tuned.description, tuned.units, tuned.roles = "edited by hand", 5, ["admin", "member"]
        tuned.save()

        report = run("--file", str(PETSTORE), "--tenant", tenant_id, "--base-url", "https://petstore.example/v4")

        assert report[1:] == [*expected_report("updated"), "18 updated, 1 skipped."]
        assert HttpTool.objects.count() == 18
        tuned.refresh_from_db()
        assert (tuned.description, tuned.url_template) == (
            "Find pet by ID\n\nReturns a single pet",
            "https://petstore.example/v4/pet/{petId}",
        )
        assert (tuned.units, tuned.roles) == (5, ["admin", "member"])

    def test_dry_run_writes_nothing(self, acme_admin):
        tenant_id = str(acme_admin.tenant.id)
        report = run("--file", str(PETSTORE), "--tenant", tenant_id, "--base-url", BASE, "--dry-run")

        assert report[1:] == [*expected_report("would create"), "18 would create, 1 skipped. Dry run: nothing written."]
        assert not HttpTool.objects.exists()

        run("--file", str(PETSTORE), "--tenant", tenant_id, "--base-url", BASE)
        before = list(HttpTool.objects.order_by("name").values_list("name", "updated_at"))
        report = run(
            "--file", str(PETSTORE), "--tenant", tenant_id, "--base-url", "https://elsewhere.example", "--dry-run"
        )
        assert report[1] == "would update addPet POST /pet"
        assert list(HttpTool.objects.order_by("name").values_list("name", "updated_at")) == before

    def test_a_definition_the_check_refuses_is_skipped_and_the_rest_import(self, acme_admin, tmp_path):
        too_long = "x" * 101
        source = {
            "openapi": "3.0.3",
            "info": {"title": "Two", "version": "1"},
            "paths": {"/a": get(operationId=too_long), "/b": get(operationId="fine")},
        }
        (tmp_path / "two.json").write_text(json.dumps(source))

        report = run("--file", str(tmp_path / "two.json"), "--tenant", str(acme_admin.tenant.id), "--base-url", BASE)

        assert report[1:] == [
            f"skipped {too_long} GET /a: name: 1 to 100 characters: letters, digits, '_', '.', '-'; first a letter or "
            "digit.",
            "created fine GET /b",
            "1 created, 1 skipped.",
        ]
        assert owned(acme_admin.tenant) == ["fine"]


@pytest.mark.django_db
class TestOperatorImport:
    def test_offered_to_no_tenant_unless_offered_to_all(self, api, acme_admin):
        def catalogue() -> set[str]:
            return {tool["name"] for tool in api.get("/v1/tools", headers=acme_admin.headers()).json()}

        report = run("--file", str(PETSTORE), "--base-url", BASE)
        assert report[0] == f"Swagger Petstore - OpenAPI 3.0 for the operator, base URL {BASE}"
        assert owned(None) == sorted(name for name, _, _ in PETSTORE_TOOLS)
        assert "getPetById" not in catalogue()

        run("--file", str(PETSTORE), "--base-url", BASE, "--offer-to-all")
        assert HttpTool.objects.filter(tenant=None, offered_to_all=True).count() == 18
        assert {name for name, _, _ in PETSTORE_TOOLS} <= catalogue()

        # A later import without the flag keeps the offer; withdrawing it is the console's decision.
        run("--file", str(PETSTORE), "--base-url", BASE)
        assert HttpTool.objects.filter(tenant=None, offered_to_all=True).count() == 18

    def test_a_tenants_tools_are_not_offered_to_others(self, acme_admin):
        with pytest.raises(CommandError, match="--offer-to-all is for the operator's tools"):
            run("--file", str(PETSTORE), "--tenant", str(acme_admin.tenant.id), "--offer-to-all")


@pytest.mark.django_db
class TestCredentials:
    def test_every_tool_sends_the_credential(self, invoke, acme_admin, upstream):
        secret_store(tenant=acme_admin.tenant, name="petstore_token", value="s3cret-Value")
        run(
            "--file",
            str(PETSTORE),
            "--tenant",
            str(acme_admin.tenant.id),
            "--base-url",
            upstream.url("/ok"),
            "--credential",
            "header:Authorization=Bearer {petstore_token}",
        )

        assert HttpTool.objects.get(name="getInventory").credentials == [
            {"secret": "petstore_token", "in": "header", "name": "Authorization", "format": "Bearer {secret}"}
        ]
        invoke(acme_admin, {"tool_name": "getInventory", "payload": {}})
        [received] = upstream.received("/ok/store/inventory")
        assert received.headers["Authorization"] == "Bearer s3cret-Value"

    def test_a_header_the_credential_sends_is_no_longer_left_out(self, acme_admin):
        secret_store(tenant=acme_admin.tenant, name="petstore_key", value="k")
        report = run(
            "--file",
            str(PETSTORE),
            "--tenant",
            str(acme_admin.tenant.id),
            "--base-url",
            BASE,
            "--credential",
            "header:api_key={petstore_key}",
        )
        assert "created deletePet DELETE /pet/{petId}" in report

    def test_a_secret_not_in_the_vault_refuses_the_whole_import(self, acme_admin):
        secret_store(tenant=None, name="petstore_token", value="the operator's, not Acme's")
        with pytest.raises(CommandError, match="credentials: No secret 'petstore_token' in this tenant's vault"):
            run(
                "--file",
                str(PETSTORE),
                "--tenant",
                str(acme_admin.tenant.id),
                "--base-url",
                BASE,
                "--credential",
                "header:Authorization=Bearer {petstore_token}",
            )
        assert not HttpTool.objects.exists()

    @pytest.mark.parametrize(
        "spec", ["Authorization=Bearer {t}", "cookie:sid={t}", "header:X-Key=no-secret", "header:X-Key={a}{b}"]
    )
    def test_a_malformed_credential_is_refused(self, spec):
        with pytest.raises(CommandError, match=f"--credential '{spec}': header:NAME=VALUE or query:NAME=VALUE"):
            run("--file", str(PETSTORE), "--base-url", BASE, "--credential", spec)


@pytest.mark.django_db
class TestUnreadableDocuments:
    @pytest.mark.parametrize(
        ("content", "message"),
        [
            ('{"swagger": "2.0", "info": {}, "paths": {}}', r"This is a Swagger 2.0 \(OpenAPI 2\) document"),
            ("# Release notes\n\n- faster\n", "Not an OpenAPI document"),
        ],
    )
    def test_not_an_openapi_3_document(self, tmp_path, content, message):
        (tmp_path / "doc").write_text(content)
        with pytest.raises(CommandError, match=message):
            run("--file", str(tmp_path / "doc"), "--base-url", BASE)
        assert not HttpTool.objects.exists()

    def test_a_missing_file(self, tmp_path):
        with pytest.raises(CommandError, match=f"Cannot read {tmp_path}/absent.yaml: No such file or directory"):
            run("--file", str(tmp_path / "absent.yaml"))

    def test_larger_than_the_limit(self, settings):
        settings.GATEWAY_OPENAPI_IMPORT_MAX_BYTES = 4096
        with pytest.raises(CommandError, match=r"is larger than GATEWAY_OPENAPI_IMPORT_MAX_BYTES \(4096 bytes\)"):
            run("--file", str(PETSTORE), "--base-url", BASE)

    def test_a_relative_server_url_needs_a_base_url(self):
        with pytest.raises(
            CommandError, match="The server URL '/v3' is relative to where the document lives; pass --base-url"
        ):
            run("--file", str(PETSTORE))

    def test_a_bad_prefix(self):
        with pytest.raises(CommandError, match="The prefix '-x' cannot start a tool name"):
            run("--file", str(PETSTORE), "--base-url", BASE, "--prefix=-x")

    def test_from_the_command_line_one_line_and_no_traceback(self, manage, tmp_path):
        (tmp_path / "swagger.json").write_text('{"swagger": "2.0", "paths": {}}')
        finished = manage("import_openapi", "--file", str(tmp_path / "swagger.json"))
        assert finished.returncode == 1
        assert finished.stderr.strip() == (
            "CommandError: This is a Swagger 2.0 (OpenAPI 2) document; only OpenAPI 3.0 and 3.1 are imported. "
            "Convert it first, e.g. with https://converter.swagger.io or swagger2openapi."
        )


class DocumentServer:
    """Serves fixed answers on 127.0.0.1, by path: (status, headers, body)."""

    def __init__(self, routes: dict[str, tuple[int, dict, bytes]]):
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                return None

            def do_GET(self):
                status, headers, body = routes.get(self.path, (404, {}, b"not here"))
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def served():
    yaml_type = {"Content-Type": "application/yaml"}
    server = DocumentServer(
        {
            "/api/v3/openapi.yaml": (200, yaml_type, PETSTORE.read_bytes()),
            "/latest": (302, {"Location": "/api/v3/openapi.yaml"}, b""),
            "/to-a-file": (302, {"Location": "file:///etc/passwd"}, b""),
        }
    )
    yield server
    server.stop()


@pytest.mark.django_db
class TestFromUrl:
    def test_the_document_is_fetched_and_its_relative_server_resolved_against_its_url(self, served, acme_admin):
        report = run("--url", served.url("/latest"), "--tenant", str(acme_admin.tenant.id))

        # /v3 against http://127.0.0.1:port/api/v3/openapi.yaml, where the redirect led.
        assert report[0] == f"Swagger Petstore - OpenAPI 3.0 for tenant Acme ({acme_admin.tenant.id}), base URL " + (
            served.url("/v3")
        )
        assert report[-1] == "18 created, 1 skipped."
        assert HttpTool.objects.get(name="getPetById").url_template == served.url("/v3/pet/{petId}")

    def test_a_redirect_to_anything_but_http_is_not_followed(self, served):
        with pytest.raises(CommandError, match="Not an http:// or https:// URL: file:///etc/passwd"):
            run("--url", served.url("/to-a-file"))

    def test_an_answer_other_than_200(self, served):
        with pytest.raises(CommandError, match=r"Fetching http://127.0.0.1:\d+/missing answered 404, not 200"):
            run("--url", served.url("/missing"))

    def test_larger_than_the_limit(self, served, settings):
        settings.GATEWAY_OPENAPI_IMPORT_MAX_BYTES = 4096
        with pytest.raises(CommandError, match=r"is larger than GATEWAY_OPENAPI_IMPORT_MAX_BYTES \(4096 bytes\)"):
            run("--url", served.url("/api/v3/openapi.yaml"))

    def test_nothing_listens(self, served):
        address = served.url("/")
        served.stop()
        with pytest.raises(CommandError, match=f"Could not fetch {address}"):
            run("--url", address)
