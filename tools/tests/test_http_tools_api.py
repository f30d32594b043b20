"""/v1/http-tools (issue 13): a tenant admin's own HTTP tools, each written through tools/http_tools.py."""

import pytest

from gateway_project.timestamps import format_timestamp
from tenants.principal_keys import principal_key_create
from tools.http_tools import DEFINITION_FIELDS, http_tool_create
from tools.models import HttpTool, VaultSecret
from tools.vault import secret_store

SECRET_VALUE = "sk-live-0123456789"
PET_SCHEMA = {"type": "object", "properties": {"pet_id": {"type": "string"}}, "required": ["pet_id"]}
# What a definition holds for every field it was not given.
DEFAULTS = {
    "description": "",
    "input_schema": {"type": "object"},
    "method": "POST",
    "query_params": [],
    "body_field": "",
    "static_headers": {},
    "credentials": [],
    "connect_timeout_seconds": 5.0,
    "read_timeout_seconds": 10.0,
    "total_timeout_seconds": 15.0,
    "max_response_bytes": 1024 * 1024,
    "units": 1,
    "roles": ["admin"],
    "idempotency_header": "",
    "enabled": True,
}


def pet_lookup(url: str = "https://pets.example.com/pets", **fields) -> dict:
    """The body of a GET <url>/{pet_id} tool named pet_lookup, with `fields` on top."""
    return {
        "name": "pet_lookup",
        "method": "GET",
        "url_template": f"{url}/{{pet_id}}",
        "input_schema": PET_SCHEMA,
        **fields,
    }


def create(api, actor, body):
    return api.post("/v1/http-tools", body, format="json", headers=actor.headers())


def change(api, actor, name, body):
    return api.patch(f"/v1/http-tools/{name}", body, format="json", headers=actor.headers())


def shown(tool: HttpTool) -> dict:
    """The representation the API gives of a stored tool."""
    tool.refresh_from_db()
    return {
        "id": str(tool.id),
        **{field: getattr(tool, field) for field in DEFINITION_FIELDS},
        "created_at": format_timestamp(tool.created_at),
        "updated_at": format_timestamp(tool.updated_at),
    }


def every_operation(api, headers, name="pet_lookup"):
    """One request of each operation, in the order a client would make them."""
    return [
        api.get("/v1/http-tools", headers=headers),
        api.post("/v1/http-tools", pet_lookup(), format="json", headers=headers),
        api.get(f"/v1/http-tools/{name}", headers=headers),
        api.patch(f"/v1/http-tools/{name}", {"units": 2}, format="json", headers=headers),
        api.delete(f"/v1/http-tools/{name}", headers=headers),
    ]


def not_found(response, name="pet_lookup") -> bool:
    return (response.status_code, response.json()) == (
        404,
        {"detail": f"No HTTP tool '{name}'", "code": "http_tool_not_found"},
    )


@pytest.mark.django_db
class TestTheLifeOfATool:
    def test_create_list_retrieve_change_delete(self, api, acme_admin):
        created = create(api, acme_admin, pet_lookup(description="Find a pet."))

        assert created.status_code == 201
        tool = HttpTool.objects.get()
        assert (tool.tenant, tool.offered_to_all) == (acme_admin.tenant, False)
        assert created.json() == shown(tool)
        assert created.json() == {
            "id": str(tool.id),
            **DEFAULTS,
            "name": "pet_lookup",
            "description": "Find a pet.",
            "method": "GET",
            "url_template": "https://pets.example.com/pets/{pet_id}",
            "input_schema": PET_SCHEMA,
            "created_at": format_timestamp(tool.created_at),
            "updated_at": format_timestamp(tool.updated_at),
        }
        listed = api.get("/v1/http-tools", headers=acme_admin.headers())
        retrieved = api.get("/v1/http-tools/pet_lookup", headers=acme_admin.headers())
        assert (listed.status_code, listed.json()) == (200, [created.json()])
        assert (retrieved.status_code, retrieved.json()) == (200, created.json())

        changed = change(api, acme_admin, "pet_lookup", {"units": 3, "roles": ["admin", "member"]})

        assert changed.status_code == 200
        assert changed.json() == shown(tool)
        assert {field: changed.json()[field] for field in ("units", "roles", "description")} == {
            "units": 3,
            "roles": ["admin", "member"],
            "description": "Find a pet.",
        }

        deleted = api.delete("/v1/http-tools/pet_lookup", headers=acme_admin.headers())

        assert (deleted.status_code, deleted.content) == (204, b"")
        assert not HttpTool.objects.exists()
        assert not_found(api.get("/v1/http-tools/pet_lookup", headers=acme_admin.headers()))
        assert not_found(api.delete("/v1/http-tools/pet_lookup", headers=acme_admin.headers()))
        assert api.get("/v1/http-tools", headers=acme_admin.headers()).json() == []

    def test_renaming_moves_the_tool(self, api, acme_admin):
        create(api, acme_admin, pet_lookup())

        renamed = change(api, acme_admin, "pet_lookup", {"name": "pet.find"})

        assert (renamed.status_code, renamed.json()["name"]) == (200, "pet.find")
        assert not_found(api.get("/v1/http-tools/pet_lookup", headers=acme_admin.headers()))
        assert api.get("/v1/http-tools/pet.find", headers=acme_admin.headers()).json() == renamed.json()

    def test_the_list_is_by_name_disabled_tools_included(self, api, acme_admin):
        for name in ("zebra", "aardvark"):
            assert create(api, acme_admin, pet_lookup(name=name, enabled=name == "zebra")).status_code == 201

        listed = api.get("/v1/http-tools", headers=acme_admin.headers()).json()

        assert [(tool["name"], tool["enabled"]) for tool in listed] == [("aardvark", False), ("zebra", True)]

    def test_put_is_not_served(self, api, acme_admin):
        create(api, acme_admin, pet_lookup())
        response = api.put("/v1/http-tools/pet_lookup", pet_lookup(), format="json", headers=acme_admin.headers())
        assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")
        assert response["Allow"] == "GET, PATCH, DELETE, HEAD, OPTIONS"


@pytest.mark.django_db
class TestWhoMayManage:
    def test_members_are_refused(self, api, acme_admin, acme_member):
        create(api, acme_admin, pet_lookup())
        before = shown(HttpTool.objects.get())

        for response in every_operation(api, acme_member.headers()):
            assert (response.status_code, response.json()) == (
                403,
                {"detail": "Role 'member' is not authorized to manage HTTP tools", "code": "permission_denied"},
            )
        assert [shown(tool) for tool in HttpTool.objects.all()] == [before]

    def test_a_key_limited_to_some_tools_may_not_administer(self, api, acme_admin):
        """Else an agent's narrow key could register itself a tool that calls anywhere."""
        create(api, acme_admin, pet_lookup())
        _key, narrow = principal_key_create(
            tenant=acme_admin.tenant, user=acme_admin.user, label="agent", tools=["echo"]
        )

        for response in every_operation(api, {"Authorization": f"Bearer {narrow}"}):
            assert (response.status_code, response.json()) == (
                403,
                {"detail": "A key limited to some tools may not administer the tenant", "code": "key_scope"},
            )
        assert HttpTool.objects.get().units == 1

    def test_an_admins_principal_key_may_manage(self, api, acme_admin):
        _key, wide = principal_key_create(tenant=acme_admin.tenant, user=acme_admin.user, label="ci")
        statuses = [response.status_code for response in every_operation(api, {"Authorization": f"Bearer {wide}"})]
        assert statuses == [200, 201, 200, 200, 204]

    def test_the_tenant_key_administers_even_where_it_may_not_act_as_users(self, api, acme_admin):
        acme_admin.tenant.service_key_acts_as_users = False
        acme_admin.tenant.save()
        statuses = [response.status_code for response in every_operation(api, acme_admin.headers())]
        assert statuses == [200, 201, 200, 200, 204]
        refused = api.get("/v1/tools", headers=acme_admin.headers())
        assert (refused.status_code, refused.json()["code"]) == (403, "principal_key_required")


@pytest.mark.django_db
class TestTenancy:
    def test_validates_tenant(self, api, acme_admin, outsider):
        create(api, outsider, pet_lookup(name="globex_only"))
        create(api, outsider, pet_lookup())
        theirs = [shown(tool) for tool in HttpTool.objects.order_by("name")]

        assert api.get("/v1/http-tools", headers=acme_admin.headers()).json() == []
        for name in ("globex_only", "pet_lookup"):
            assert not_found(api.get(f"/v1/http-tools/{name}", headers=acme_admin.headers()), name)
            assert not_found(change(api, acme_admin, name, {"units": 9}), name)
            assert not_found(api.delete(f"/v1/http-tools/{name}", headers=acme_admin.headers()), name)
        assert not_found(api.get("/v1/http-tools/never_made", headers=acme_admin.headers()), "never_made")
        assert [shown(tool) for tool in HttpTool.objects.order_by("name")] == theirs

        # Acme's tool of the same name is its own; Globex's is untouched.
        assert create(api, acme_admin, pet_lookup()).status_code == 201
        listed = api.get("/v1/http-tools", headers=acme_admin.headers()).json()
        assert [tool["name"] for tool in listed] == ["pet_lookup"]
        assert [shown(tool) for tool in HttpTool.objects.filter(tenant=outsider.tenant).order_by("name")] == theirs

    def test_the_operators_tools_are_neither_listed_nor_editable(self, api, acme_admin):
        operators = http_tool_create(owner=None, fields={**pet_lookup(name="weather"), "offered_to_all": True})
        before = shown(operators)

        assert api.get("/v1/http-tools", headers=acme_admin.headers()).json() == []
        assert not_found(api.get("/v1/http-tools/weather", headers=acme_admin.headers()), "weather")
        assert not_found(
            change(api, acme_admin, "weather", {"url_template": "https://evil.example/{pet_id}"}), "weather"
        )
        assert not_found(api.delete("/v1/http-tools/weather", headers=acme_admin.headers()), "weather")
        assert shown(operators) == before
        # Offered to every tenant: in the catalogue, not in the tenant's own tools.
        catalogue = api.get("/v1/tools", headers=acme_admin.headers()).json()
        assert "weather" in [tool["name"] for tool in catalogue]

    def test_a_tenant_may_not_offer_its_tools_to_others(self, api, acme_admin):
        refused = create(api, acme_admin, pet_lookup(offered_to_all=True))
        assert (refused.status_code, refused.json()["errors"]) == (
            422,
            {"offered_to_all": ["Only the operator's tools are offered to other tenants."]},
        )
        assert not HttpTool.objects.exists()

        create(api, acme_admin, pet_lookup())
        refused = change(api, acme_admin, "pet_lookup", {"offered_to_all": True})
        assert (refused.status_code, refused.json()["errors"]) == (
            422,
            {"offered_to_all": ["Only the operator's tools are offered to other tenants."]},
        )
        assert HttpTool.objects.get().offered_to_all is False


@pytest.mark.django_db
class TestValidation:
    @pytest.mark.parametrize(
        ("fields", "errors"),
        [
            pytest.param(
                {"url_template": "ftp://pets.example.com/{pet_id}"},
                {"url_template": ["An absolute http:// or https:// URL."]},
                id="url-scheme",
            ),
            pytest.param(
                {"input_schema": {"type": "object", "properties": {"pet_id": {"type": "string"}}}},
                {"url_template": ["'{pet_id}' must name a required property of input_schema."]},
                id="placeholder-not-required",
            ),
            pytest.param(
                {"credentials": [{"secret": "crm.token", "in": "header", "name": "Authorization"}]},
                {"credentials": ["No secret 'crm.token' in this tenant's vault; store it first."]},
                id="unknown-secret",
            ),
            pytest.param(
                {"credentials": [{"secret": "crm.token", "in": "cookie", "name": "Authorization"}]},
                {
                    "credentials[0].in": ['"header" or "query".'],
                    "credentials": ["No secret 'crm.token' in this tenant's vault; store it first."],
                },
                id="credential-placement",
            ),
            pytest.param({"name": "echo"}, {"name": ["'echo' is a built-in tool's name."]}, id="built-in-name"),
            pytest.param({"tenant": "another"}, {"tenant": ["Unexpected field."]}, id="unexpected-field"),
            pytest.param({"description": "a\x00b"}, {"description": ["No NUL characters."]}, id="nul-in-text"),
            pytest.param(
                {
                    "input_schema": {
                        "type": "object",
                        "properties": {"pet_id": {"title": "\x00"}},
                        "required": ["pet_id"],
                    }
                },
                {"input_schema": ["No NUL characters."]},
                id="nul-in-json",
            ),
        ],
    )
    def test_each_problem_names_its_field(self, api, acme_admin, fields, errors):
        refused = create(api, acme_admin, pet_lookup(**fields))

        assert (refused.status_code, refused.json()["code"], refused.json()["errors"]) == (
            422,
            "validation_error",
            errors,
        )
        assert not HttpTool.objects.exists()

    def test_a_timeout_above_the_setting(self, api, acme_admin, settings):
        ceiling = settings.GATEWAY_HTTP_TOOL_MAX_TIMEOUT_SECONDS
        refused = create(api, acme_admin, pet_lookup(total_timeout_seconds=ceiling + 1))
        assert (refused.status_code, refused.json()["errors"]) == (
            422,
            {"total_timeout_seconds": [f"Seconds, more than 0 and at most {ceiling}."]},
        )
        assert create(api, acme_admin, pet_lookup(total_timeout_seconds=ceiling)).status_code == 201

    def test_a_name_and_a_url_are_needed(self, api, acme_admin):
        refused = create(api, acme_admin, {})
        assert (refused.status_code, refused.json()["errors"]) == (
            422,
            {
                "name": ["1 to 100 characters: letters, digits, '_', '.', '-'; first a letter or digit."],
                "url_template": ["1 to 2000 characters."],
            },
        )

    @pytest.mark.parametrize("body", [[], "pet_lookup", 7])
    def test_the_body_is_an_object(self, api, acme_admin, body):
        for refused in (create(api, acme_admin, body), change(api, acme_admin, "pet_lookup", body)):
            assert (refused.status_code, refused.json()["errors"]) == (
                422,
                {"body": ["A JSON object of the tool's fields."]},
            )

    def test_bodies_that_cannot_be_read(self, api, acme_admin, settings):
        broken = api.post("/v1/http-tools", b"{", content_type="application/json", headers=acme_admin.headers())
        assert (broken.status_code, broken.json()["code"]) == (400, "malformed_json")
        settings.GATEWAY_MAX_BODY_BYTES = 1024
        large = create(api, acme_admin, pet_lookup(description="x" * 2000))
        assert (large.status_code, large.json()) == (
            413,
            {"detail": "Request body exceeds the limit of 1024 bytes", "code": "payload_too_large"},
        )
        assert not HttpTool.objects.exists()

    def test_a_change_is_checked_as_a_whole_definition(self, api, acme_admin):
        create(api, acme_admin, pet_lookup())
        before = shown(HttpTool.objects.get())

        # Fine on its own, but the URL still needs pet_id, which the new schema no longer requires.
        refused = change(api, acme_admin, "pet_lookup", {"input_schema": {"type": "object"}})

        assert (refused.status_code, refused.json()["errors"]) == (
            422,
            {"url_template": ["'{pet_id}' must name a required property of input_schema."]},
        )
        assert shown(HttpTool.objects.get()) == before

    def test_a_duplicate_name(self, api, acme_admin):
        assert create(api, acme_admin, pet_lookup()).status_code == 201
        assert create(api, acme_admin, pet_lookup(name="other")).status_code == 201

        again = create(api, acme_admin, pet_lookup())
        renamed = change(api, acme_admin, "other", {"name": "pet_lookup"})

        assert (again.status_code, again.json()["errors"]) == (
            422,
            {"name": ["A tool named 'pet_lookup' already exists."]},
        )
        assert (renamed.status_code, renamed.json()["errors"]) == (
            422,
            {"name": ["A tool named 'pet_lookup' already exists."]},
        )
        assert sorted(HttpTool.objects.values_list("name", flat=True)) == ["other", "pet_lookup"]

    def test_the_per_tenant_limit(self, api, acme_admin, outsider, settings):
        settings.GATEWAY_HTTP_TOOLS_PER_TENANT = 2
        assert [create(api, acme_admin, pet_lookup(name=name)).status_code for name in ("a", "b")] == [201, 201]

        over = create(api, acme_admin, pet_lookup(name="c"))

        assert (over.status_code, over.json()["errors"]) == (422, {"name": ["A tenant may own at most 2 HTTP tools."]})
        assert create(api, outsider, pet_lookup(name="c")).status_code == 201  # each tenant counts its own
        assert change(api, acme_admin, "a", {"units": 2}).status_code == 200  # changing is not owning more
        assert api.delete("/v1/http-tools/a", headers=acme_admin.headers()).status_code == 204
        assert create(api, acme_admin, pet_lookup(name="c")).status_code == 201
        assert HttpTool.objects.filter(tenant=acme_admin.tenant).count() == 2


@pytest.mark.django_db
class TestCallingWhatWasRegistered:
    def test_a_created_tool_is_in_the_catalogue_and_callable(self, api, acme_admin, invoke, upstream):
        create(api, acme_admin, pet_lookup(upstream.url("/ok/pets"), description="Find a pet."))

        catalogue = api.get("/v1/tools", headers=acme_admin.headers()).json()
        called = invoke(acme_admin, {"tool_name": "pet_lookup", "payload": {"pet_id": "7"}})

        assert {
            "name": "pet_lookup",
            "description": "Find a pet.",
            "input_schema": PET_SCHEMA,
            "permission": "tools.invoke",
            "roles": ["admin"],
            "units": 1,
        } in catalogue
        assert called.status_code == 200
        result = called.json()["result"]
        assert (result["status"], result["body"]["method"], result["body"]["path"]) == (200, "GET", "/ok/pets/7")
        assert [received.method for received in upstream.received("/ok/pets/7")] == ["GET"]

    def test_a_changed_url_takes_effect_on_the_next_call(self, api, acme_admin, invoke, upstream):
        create(api, acme_admin, pet_lookup(upstream.url("/ok/v1")))
        first = invoke(acme_admin, {"tool_name": "pet_lookup", "payload": {"pet_id": "7"}}, key="key-1")

        changed = change(api, acme_admin, "pet_lookup", {"url_template": upstream.url("/ok/v2/{pet_id}")})
        second = invoke(acme_admin, {"tool_name": "pet_lookup", "payload": {"pet_id": "7"}}, key="key-2")

        assert (first.status_code, changed.status_code, second.status_code) == (200, 200, 200)
        assert second.json()["result"]["body"]["path"] == "/ok/v2/7"
        assert [received.path for received in upstream.received()] == ["/ok/v1/7", "/ok/v2/7"]

    def test_a_disabled_tool_is_not_offered(self, api, acme_admin, invoke, upstream):
        create(api, acme_admin, pet_lookup(upstream.url("/ok")))
        change(api, acme_admin, "pet_lookup", {"enabled": False})

        catalogue = api.get("/v1/tools", headers=acme_admin.headers()).json()
        refused = invoke(acme_admin, {"tool_name": "pet_lookup", "payload": {"pet_id": "7"}})

        assert "pet_lookup" not in [tool["name"] for tool in catalogue]
        assert (refused.status_code, refused.json()["code"]) == (404, "tool_not_found")
        assert upstream.received() == []

    def test_a_deleted_tool_is_gone_from_the_catalogue(self, api, acme_admin, invoke):
        create(api, acme_admin, pet_lookup())
        api.delete("/v1/http-tools/pet_lookup", headers=acme_admin.headers())

        catalogue = api.get("/v1/tools", headers=acme_admin.headers()).json()
        refused = invoke(acme_admin, {"tool_name": "pet_lookup", "payload": {"pet_id": "7"}})

        assert "pet_lookup" not in [tool["name"] for tool in catalogue]
        assert (refused.status_code, refused.json()["code"]) == (404, "tool_not_found")


@pytest.mark.django_db
def test_no_answer_holds_a_secret_value(api, acme_admin, invoke, upstream):
    secret_store(tenant=acme_admin.tenant, name="pets.token", value=SECRET_VALUE)
    ciphertext = VaultSecret.objects.get().ciphertext.encode()
    credential = {"secret": "pets.token", "in": "header", "name": "Authorization", "format": "Bearer {secret}"}

    created = create(api, acme_admin, pet_lookup(upstream.url("/ok"), credentials=[credential]))
    listed = api.get("/v1/http-tools", headers=acme_admin.headers())
    retrieved = api.get("/v1/http-tools/pet_lookup", headers=acme_admin.headers())
    changed = change(api, acme_admin, "pet_lookup", {"description": "Find a pet."})
    called = invoke(acme_admin, {"tool_name": "pet_lookup", "payload": {"pet_id": "7"}})
    deleted = api.delete("/v1/http-tools/pet_lookup", headers=acme_admin.headers())

    answers = [created, listed, retrieved, changed, deleted]
    assert [answer.status_code for answer in answers] == [201, 200, 200, 200, 204]
    representations = [created.json(), listed.json()[0], retrieved.json(), changed.json()]
    assert [tool["credentials"] for tool in representations] == [[credential]] * 4
    for answer in answers:
        assert SECRET_VALUE.encode() not in answer.content and ciphertext not in answer.content
    # The secret did go upstream, and the upstream's echo of the request came back with it redacted.
    (received,) = upstream.received("/ok/7")
    assert received.headers["Authorization"] == f"Bearer {SECRET_VALUE}"
    assert called.status_code == 200
    assert called.json()["result"]["body"]["headers"]["Authorization"] == "Bearer [redacted]"
    assert SECRET_VALUE.encode() not in called.content
