"""HTTP tools in the console (tools/http_tool_admin.py): listed and filtered; registered and changed through
tools.http_tools, each refusal on the field it names; and the test call, a real request to a real upstream whose
page shows what left and what came back, never a secret, and which the tool's history records."""

import json
import re

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tools.http_tool_forms import TENANT_CREDENTIALS_ARE_THE_TENANTS
from tools.http_tools import http_tool_create
from tools.models import HttpTool
from tools.vault import secret_delete, secret_store

pytestmark = pytest.mark.django_db

TOOLS = reverse("admin:tools_httptool_changelist")
ADD = reverse("admin:tools_httptool_add")
SECRET = "sk-live-Op3rator-Secret_77"  # noqa: S105 - a test credential
TENANT_SECRET = "sk-live-Acme-Secret_42"  # noqa: S105 - a test credential
PETS = {"type": "object", "required": ["petId"],
        "properties": {"petId": {"type": "integer"}, "note": {"type": "string"}}}  # fmt: skip


def change_url(tool: HttpTool) -> str:
    return reverse("admin:tools_httptool_change", args=[tool.pk])


def trial_url(tool: HttpTool) -> str:
    return reverse("admin:tools_httptool_test_call", args=[tool.pk])


def staff_in(group: str) -> Client:
    member = User.objects.create_user(f"{group.lower()}-1", is_staff=True)
    member.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(member)
    return client


@pytest.fixture
def operator() -> Client:
    return staff_in("Operators")


@pytest.fixture
def auditor() -> Client:
    return staff_in("Auditors")


@pytest.fixture
def vault(acme_admin):
    secret_store(tenant=None, name="ops.token", value=SECRET)
    secret_store(tenant=acme_admin.tenant, name="crm.token", value=TENANT_SECRET)


def add_form(**overrides) -> dict:
    """The add page's fields as a browser posts them: an operator's GET tool, offered to no one."""
    form = {
        "tenant": "",
        "name": "pets.get",
        "description": "Reads a pet",
        "enabled": "on",
        "input_schema": json.dumps(PETS),
        "method": "GET",
        "url_template": "https://pets.example.com/v1/pets/{petId}",
        "query_params": '["note"]',
        "body_field": "",
        "static_headers": "{}",
        "credentials": json.dumps([{"secret": "ops.token", "in": "header", "name": "X-Api-Key"}]),
        "idempotency_header": "",
        "roles": '["admin", "member"]',
        "units": "1",
        "connect_timeout_seconds": "5",
        "read_timeout_seconds": "10",
        "total_timeout_seconds": "15",
        "max_response_bytes": "1048576",
    }
    return {name: value for name, value in (form | overrides).items() if value is not None}


def form_errors(response) -> dict[str, list[str]]:
    assert response.status_code == 200, "the form was saved"
    return {name: list(messages) for name, messages in response.context["adminform"].form.errors.items()}


@pytest.fixture
def catalogue(acme_admin, outsider, vault) -> dict[str, HttpTool]:
    """An operator's tool offered to all, one offered to two tenants, one to no one (disabled); a tenant's."""
    acme, globex = acme_admin.tenant, outsider.tenant
    tools = {
        "everyone": http_tool_create(owner=None, fields={"name": "pets.get", "method": "GET", "input_schema": PETS,
                                                          "url_template": "https://pets.example.com/{petId}",
                                                          "offered_to_all": True}),
        "two": http_tool_create(owner=None, fields={"name": "billing.charge",
                                                     "url_template": "https://billing.example.com/charges"}),
        "no_one": http_tool_create(owner=None, fields={"name": "old.thing", "method": "DELETE", "enabled": False,
                                                        "url_template": "https://old.example.com/things"}),
        "acme": http_tool_create(owner=acme, fields={"name": "crm.create", "url_template": "https://crm.acme.test/x"}),
    }  # fmt: skip
    tools["two"].offered_to.set([acme, globex])
    return tools


def listed(response) -> list[str]:
    return [tool.name for tool in response.context["cl"].result_list]


class TestTheList:
    def test_shows_owner_method_url_and_offer(self, admin_client, catalogue):
        response = admin_client.get(TOOLS)

        assert listed(response) == ["billing.charge", "crm.create", "old.thing", "pets.get"]
        model_admin = response.context["cl"].model_admin
        rows = {tool.name: tool for tool in response.context["cl"].result_list}
        assert [model_admin.offered(rows[name]) for name in listed(response)] == [
            "2 tenants",
            None,
            None,
            "all tenants",
        ]
        page = response.content.decode()
        assert '<td class="field-offered">—</td>' in page  # the tenant's own tool, and the one offered to no one
        assert 'title="Acme">Acme</span>' in page and '<td class="field-owner">operator</td>' in page
        assert '<td class="field-http_method">DELETE</td>' in page  # as HTTP spells it, not "Delete"
        assert 'title="https://pets.example.com/{petId}"' in page

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ({"owner": "operator"}, ["billing.charge", "old.thing", "pets.get"]),
            ({"owner": "tenant"}, ["crm.create"]),
            ({"tenant__id__exact": "{acme}"}, ["crm.create"]),
            ({"method": "GET"}, ["pets.get"]),
            ({"method": "POST"}, ["billing.charge", "crm.create"]),
            ({"enabled__exact": "0"}, ["old.thing"]),
            ({"q": "crm"}, ["crm.create"]),
            ({"q": "billing.example.com"}, ["billing.charge"]),  # a part of the URL
        ],
    )
    def test_filters_and_search(self, admin_client, acme_admin, catalogue, query, expected):
        query = {name: value.format(acme=acme_admin.tenant.pk) for name, value in query.items()}
        assert listed(admin_client.get(TOOLS, query)) == expected

    def test_queries_do_not_grow_with_the_tools(self, admin_client, acme_admin, outsider,
                                                django_assert_max_num_queries):  # fmt: skip
        def page_queries() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert admin_client.get(TOOLS).status_code == 200
            return len(queries)

        http_tool_create(owner=None, fields={"name": "first", "url_template": "https://a.example.com/"})
        few = page_queries()
        for number in range(40):
            owner = acme_admin.tenant if number % 2 else None
            tool = http_tool_create(owner=owner, fields={"name": f"tool-{number}", "url_template": "https://a.test/"})
            if owner is None:
                tool.offered_to.set([acme_admin.tenant, outsider.tenant])
        # 1 session, 2 user, 3 tenants offered by the tenant filter, 4 the count, 5 the page of tools with their
        # owners and offer counts
        with django_assert_max_num_queries(5):
            response = admin_client.get(TOOLS)
        assert len(response.context["cl"].result_list) == 41
        assert page_queries() == few


class TestRegistering:
    def test_an_operator_tool_through_the_add_page(self, operator, acme_admin, outsider, vault):
        offered = [str(acme_admin.tenant.pk), str(outsider.tenant.pk)]
        response = operator.post(ADD, add_form(offered_to=offered))

        assert response.status_code == 302
        tool = HttpTool.objects.get(name="pets.get")
        assert tool.tenant is None and tool.method == "GET" and tool.input_schema == PETS
        assert tool.query_params == ["note"] and tool.roles == ["admin", "member"]
        assert tool.credentials == [{"secret": "ops.token", "in": "header", "name": "X-Api-Key"}]
        assert set(tool.offered_to.all()) == {acme_admin.tenant, outsider.tenant}
        assert LogEntry.objects.get(object_id=str(tool.pk)).action_flag == ADDITION

    def test_empty_lists_and_objects_take_their_defaults(self, admin_client, vault):
        response = admin_client.post(ADD, add_form(query_params="", static_headers="", credentials=""))
        assert response.status_code == 302
        tool = HttpTool.objects.get(name="pets.get")
        assert (tool.query_params, tool.static_headers, tool.credentials) == ([], {}, [])

    def test_every_problem_is_shown_on_its_field(self, admin_client, vault):
        credentials = [{"secret": "nope", "in": "header", "name": "X-Key"},
                       {"secret": "ops.token", "in": "cookie", "name": "X-Other"}]  # fmt: skip
        response = admin_client.post(ADD, add_form(url_template="ftp://pets.example.com/{petId}",
                                                   credentials=json.dumps(credentials)))  # fmt: skip

        errors = form_errors(response)
        assert errors["url_template"] == ["An absolute http:// or https:// URL."]
        assert errors["credentials"] == [
            'credentials[1].in: "header" or "query".',
            "No secret 'nope' in the operator's vault; store it first.",
        ]
        page = response.content.decode()
        assert "An absolute http:// or https:// URL." in page
        assert "No secret &#x27;nope&#x27; in the operator&#x27;s vault; store it first." in page
        assert not HttpTool.objects.exists()

    def test_a_tenants_secret_is_not_the_operators(self, admin_client, acme_admin, vault):
        credentials = json.dumps([{"secret": "crm.token", "in": "header", "name": "X-Key"}])
        errors = form_errors(admin_client.post(ADD, add_form(credentials=credentials)))
        assert errors["credentials"] == ["No secret 'crm.token' in the operator's vault; store it first."]
        # Owned by Acme, the same reference is Acme's secret: only Acme may attach it (through the API), or a
        # test call from here could deliver it to any host.
        errors = form_errors(
            admin_client.post(ADD, add_form(tenant=str(acme_admin.tenant.pk), credentials=credentials))
        )
        assert errors["credentials"] == [TENANT_CREDENTIALS_ARE_THE_TENANTS]
        assert not HttpTool.objects.exists()

    def test_a_tenants_tool_that_sends_its_secrets_is_not_redirected_from_here(self, admin_client, acme_admin,
                                                                                 vault, upstream):  # fmt: skip
        tool = crm_tool(acme_admin.tenant, upstream)
        form = add_form(name="crm.create", method="POST", url_template=tool.url_template, query_params="[]",
                        input_schema='{"type": "object"}', credentials=json.dumps(tool.credentials))  # fmt: skip

        elsewhere = admin_client.post(change_url(tool), form | {"url_template": "https://collector.example.com/x"})
        assert form_errors(elsewhere) == {"url_template": [TENANT_CREDENTIALS_ARE_THE_TENANTS]}
        other_secret = [{"secret": "crm.token", "in": "query", "name": "leak"}]
        moved = admin_client.post(change_url(tool), form | {"credentials": json.dumps(other_secret)})
        assert form_errors(moved) == {"credentials": [TENANT_CREDENTIALS_ARE_THE_TENANTS]}
        # Another path on the same host, or switching it off, is the operator's to do.
        same_host = upstream.url("/ok/moved")
        assert admin_client.post(change_url(tool), form | {"url_template": same_host}).status_code == 302
        tool.refresh_from_db()
        assert tool.url_template == same_host

    def test_json_that_does_not_parse_is_kept_to_mend(self, admin_client, vault):
        errors = form_errors(admin_client.post(ADD, add_form(input_schema='{"type": "object",')))
        assert errors == {"input_schema": ["Enter a valid JSON."]}  # the rest is checked once it parses

    def test_a_tenants_tool_is_offered_to_no_one_else(self, admin_client, acme_admin, outsider, vault):
        mine = {"tenant": str(acme_admin.tenant.pk), "credentials": "[]"}
        errors = form_errors(admin_client.post(ADD, add_form(**mine, offered_to=[str(outsider.tenant.pk)])))
        assert errors == {"offered_to": ["Only the operator's tools are offered to other tenants."]}
        errors = form_errors(admin_client.post(ADD, add_form(**mine, offered_to_all="on")))
        assert errors == {"offered_to_all": ["Only the operator's tools are offered to other tenants."]}
        assert not HttpTool.objects.exists()

    def test_a_name_taken_is_said_in_the_services_words(self, admin_client, vault):
        assert admin_client.post(ADD, add_form()).status_code == 302
        errors = form_errors(admin_client.post(ADD, add_form()))
        assert errors == {"name": ["A tool named 'pets.get' already exists."]}

    def test_a_refusal_only_the_write_makes_is_shown_on_the_form(self, admin_client, acme_admin, vault, settings):
        """The tenant's limit is counted by http_tool_create, under a lock: the form shows its refusal, and the
        definition typed is still there."""
        settings.GATEWAY_HTTP_TOOLS_PER_TENANT = 1
        mine = {"tenant": str(acme_admin.tenant.pk), "credentials": "[]"}
        assert admin_client.post(ADD, add_form(**mine, name="first")).status_code == 302

        response = admin_client.post(ADD, add_form(**mine, name="second"))

        assert form_errors(response) == {"name": ["A tenant may own at most 1 HTTP tools."]}
        assert 'value="second"' in response.content.decode()
        assert list(HttpTool.objects.values_list("name", flat=True)) == ["first"]
        assert LogEntry.objects.filter(action_flag=ADDITION).count() == 1


class TestChanging:
    def test_a_change_is_checked_and_saved(self, admin_client, catalogue):
        tool = catalogue["everyone"]
        form = add_form(name="pets.get", input_schema=json.dumps(PETS), url_template="https://pets.example.com/{petId}",
                        credentials="[]", offered_to_all="on")  # fmt: skip

        bad = admin_client.post(change_url(tool), form | {"url_template": "https://pets.example.com/{missing}"})
        assert form_errors(bad) == {"url_template": ["'{missing}' must name a required property of input_schema."]}
        good = admin_client.post(change_url(tool), form | {"url_template": "https://v2.pets.example.com/{petId}"})

        assert good.status_code == 302
        tool.refresh_from_db()
        assert tool.url_template == "https://v2.pets.example.com/{petId}" and tool.offered_to_all
        assert LogEntry.objects.get(object_id=str(tool.pk)).action_flag == CHANGE

    def test_the_owner_stays(self, admin_client, catalogue, outsider):
        tool = catalogue["acme"]
        form = add_form(name="crm.create", method="POST", url_template="https://crm.acme.test/x",
                        input_schema='{"type": "object"}', query_params="[]", credentials="[]")  # fmt: skip
        response = admin_client.post(change_url(tool), form | {"tenant": str(outsider.tenant.pk)})
        assert response.status_code == 302
        tool.refresh_from_db()
        assert tool.tenant.name == "Acme"

    def test_a_tenants_tool_has_no_offers_to_change(self, admin_client, catalogue):
        page = admin_client.get(change_url(catalogue["acme"])).content.decode()
        assert 'name="offered_to_all"' not in page and 'name="offered_to"' not in page
        operators = admin_client.get(change_url(catalogue["two"])).content.decode()
        assert 'name="offered_to_all"' in operators and 'name="offered_to"' in operators

    def test_deleting_from_the_list_and_from_a_tools_page(self, admin_client, catalogue):
        delete = reverse("admin:tools_httptool_delete", args=[catalogue["two"].pk])
        assert admin_client.post(delete, {"post": "yes"}).status_code == 302
        chosen = [str(catalogue["acme"].pk), str(catalogue["no_one"].pk)]
        response = admin_client.post(TOOLS, {"action": "delete_selected", "_selected_action": chosen, "post": "yes"})
        assert response.status_code == 302
        assert list(HttpTool.objects.values_list("name", flat=True)) == ["pets.get"]

    def test_the_json_is_shown_indented(self, admin_client, catalogue):
        page = admin_client.get(change_url(catalogue["everyone"])).content.decode()
        assert "{\n  &quot;type&quot;: &quot;object&quot;," in page
        assert "[&quot;admin&quot;]</textarea>" in page  # a list of names stays on one line


def pets_tool(upstream, path="/ok/pets/{petId}", **fields) -> HttpTool:
    """The operator's GET tool on the upstream, sending the operator's secret in a header."""
    definition = {"name": "pets.get", "method": "GET", "input_schema": PETS, "url_template": upstream.url(path),
                  "credentials": [{"secret": "ops.token", "in": "header", "name": "X-Api-Key"}]}  # fmt: skip
    return http_tool_create(owner=None, fields=definition | fields)


def crm_tool(owner, upstream, path="/created", **fields) -> HttpTool:
    """A tenant's POST tool on the upstream, sending the tenant's secret as a bearer token."""
    definition = {"name": "crm.create", "method": "POST", "url_template": upstream.url(path),
                  "credentials": [{"secret": "crm.token", "in": "header", "name": "Authorization",
                                   "format": "Bearer {secret}"}]}  # fmt: skip
    return http_tool_create(owner=owner, fields=definition | fields)


def history(tool: HttpTool) -> list[tuple[int, str]]:
    return [(entry.action_flag, entry.change_message) for entry in LogEntry.objects.filter(object_id=str(tool.pk))]


class TestTheTestCall:
    def test_a_tenants_tool_is_called_as_its_owner(self, operator, acme_admin, vault, upstream):
        tool = crm_tool(acme_admin.tenant, upstream)

        response = operator.post(trial_url(tool), {"payload": '{"name": "Rex"}'})

        assert response.status_code == 200
        page = response.content.decode()
        # What left, masked: the method and URL, the headers, the body.
        assert f"<code>POST {upstream.url('/created')}</code>" in page
        assert "<td><code>Authorization</code></td><td><code>Bearer [redacted]</code></td>" in page
        assert "<pre>{&quot;name&quot;:&quot;Rex&quot;}</pre>" in page
        # What came back: the upstream's status and the headers the gateway passes on.
        assert "<h2>Answer: 201</h2>" in page
        assert "<td><code>location</code></td><td><code>/pets/7</code></td>" in page
        assert 'id="trial-success"' in page and 'id="trial-error"' not in page
        assert TENANT_SECRET not in page
        # It was a real call, with the real secret.
        (received,) = upstream.received("/created")
        assert received.headers["Authorization"] == f"Bearer {TENANT_SECRET}"
        assert json.loads(received.body) == {"name": "Rex"}
        assert history(tool) == [(CHANGE, "Test call as Acme: POST → 201")]
        assert "no-store" in response["Cache-Control"]

    def test_an_operators_tool_is_called_as_a_tenant_it_is_offered_to(self, operator, acme_admin, vault, upstream):
        tool = pets_tool(upstream)
        tool.offered_to.set([acme_admin.tenant])

        response = operator.post(trial_url(tool), {"tenant": str(acme_admin.tenant.pk),
                                                        "payload": '{"petId": 7, "note": "hi"}'})  # fmt: skip

        page = response.content.decode()
        assert f"<code>GET {upstream.url('/ok/pets/7')}?note=hi</code>" in page
        assert "<td><code>X-Api-Key</code></td><td><code>[redacted]</code></td>" in page
        assert "<h2>Answer: 200</h2>" in page
        assert SECRET not in page
        assert upstream.received("/ok/pets/7")[0].headers["X-Api-Key"] == SECRET
        assert history(tool) == [(CHANGE, "Test call as Acme: GET → 200")]

    def test_not_as_a_tenant_it_is_not_offered_to(self, operator, acme_admin, outsider, vault, upstream):
        tool = pets_tool(upstream)
        tool.offered_to.set([acme_admin.tenant])

        response = operator.post(trial_url(tool), {"tenant": str(outsider.tenant.pk), "payload": '{"petId": 7}'})

        assert "Select a valid choice" in response.content.decode()
        assert upstream.received() == [] and history(tool) == []

    def test_an_answer_echoing_the_secret_shows_it_nowhere(self, operator, vault, upstream):
        tool = pets_tool(upstream, "/echo", input_schema={"type": "object"}, offered_to_all=True,
                         credentials=[{"secret": "ops.token", "in": "query", "name": "api_key"},
                                      {"secret": "ops.token", "in": "header", "name": "X-Api-Key"}])  # fmt: skip
        tenant = HttpTool.offered_to.field.related_model.objects.first()

        response = operator.post(trial_url(tool), {"tenant": str(tenant.pk), "payload": "{}"})

        page = response.content.decode()
        assert "<h2>Answer: 200</h2>" in page
        # The upstream did receive it (in the query and a header) and echoed both back.
        (received,) = upstream.received("/echo")
        assert received.query == {"api_key": [SECRET]} and received.headers["X-Api-Key"] == SECRET
        assert f"<code>GET {upstream.url('/echo')}?api_key=[redacted]</code>" in page
        assert "&quot;api_key&quot;: [&quot;[redacted]&quot;]" in page
        assert "&quot;X-Api-Key&quot;: &quot;[redacted]&quot;" in page
        for form in (SECRET, SECRET.replace("_", "%5F"), json.dumps(SECRET)):
            assert form not in page

    def test_a_failing_upstream_shows_the_error_a_caller_would_get(self, operator, vault, upstream):
        tool = pets_tool(upstream, "/fail", input_schema={"type": "object"}, offered_to_all=True)
        tenant = HttpTool.offered_to.field.related_model.objects.first()

        page = operator.post(trial_url(tool), {"tenant": str(tenant.pk), "payload": "{}"}).content.decode()

        assert "<h2>Answer: 500</h2>" in page
        assert "<pre>{&quot;error&quot;: &quot;boom&quot;}</pre>" in page
        assert 'id="trial-error">A caller would get 502 <code>upstream_error</code>: The upstream answered 500.' in page
        assert history(tool) == [(CHANGE, f"Test call as {tenant.name}: GET → 500")]

    def test_a_request_that_cannot_be_built_is_not_sent(self, operator, acme_admin, vault, upstream):
        tool = crm_tool(acme_admin.tenant, upstream)
        secret_delete(tenant=acme_admin.tenant, name="crm.token")

        page = operator.post(trial_url(tool), {"payload": "{}"}).content.decode()

        assert "<h2>Request: not built</h2>" in page and "<h2>No answer</h2>" in page
        assert "<code>tool_misconfigured</code>: Tool &#x27;crm.create&#x27; needs the vault secret" in page
        assert upstream.received() == []
        assert history(tool) == [(CHANGE, "Test call as Acme: POST → tool_misconfigured (503)")]

    @pytest.mark.parametrize(
        ("payload", "message"),
        [
            ('{"note": "hi"}', "petId: This field is required."),
            ('{"petId": "seven"}', "petId: &#x27;seven&#x27; is not of type &#x27;integer&#x27;"),
            ("[1, 2]", "A JSON object, e.g. {&quot;petId&quot;: 7}."),
            ("{", "Enter a valid JSON."),
        ],
    )
    def test_the_payload_is_checked_against_the_schema_first(self, operator, acme_admin, vault, upstream, payload,
                                                             message):  # fmt: skip
        tool = pets_tool(upstream, offered_to_all=True)

        response = operator.post(trial_url(tool), {"tenant": str(acme_admin.tenant.pk), "payload": payload})

        page = response.content.decode()
        assert message in page and "Please correct the error below." in page
        assert 'id="sent-request"' not in page
        assert upstream.received() == [] and history(tool) == []

    def test_the_page_says_the_call_is_real(self, operator, acme_admin, vault, upstream):
        tool = crm_tool(acme_admin.tenant, upstream)
        page = operator.get(trial_url(tool)).content.decode()
        assert "This is a real call." in page
        assert "This tool is not safe to retry (POST, no idempotency header)" in page
        # A tenant's tool: called as its owner, fixed.
        assert re.search(r'<select name="tenant"[^>]* disabled', page)
        assert f'<option value="{acme_admin.tenant.pk}" selected>' in page
        assert upstream.received() == []

    def test_a_tool_offered_to_no_one_has_no_one_to_call_as(self, operator, vault, upstream):
        tool = pets_tool(upstream)
        page = operator.get(trial_url(tool)).content.decode()
        assert 'id="offered-to-no-one"' in page and 'id="test-call-form"' not in page

    def test_is_linked_from_the_tools_page_for_those_who_may_change_it(self, operator, auditor, acme_admin, vault,
                                                                      upstream):  # fmt: skip
        tool = crm_tool(acme_admin.tenant, upstream)
        assert f'href="{trial_url(tool)}" id="test-call"' in operator.get(change_url(tool)).content.decode()
        assert 'id="test-call"' not in auditor.get(change_url(tool)).content.decode()

    def test_auditors_may_not_run_it(self, auditor, acme_admin, vault, upstream):
        tool = crm_tool(acme_admin.tenant, upstream)
        assert auditor.get(trial_url(tool)).status_code == 403
        assert auditor.post(trial_url(tool), {"payload": "{}"}).status_code == 403
        assert upstream.received() == [] and history(tool) == []


class TestAuditors:
    def test_see_the_list_and_a_tool_but_change_nothing(self, auditor, catalogue):
        assert listed(auditor.get(TOOLS)) == ["billing.charge", "crm.create", "old.thing", "pets.get"]
        page = auditor.get(change_url(catalogue["everyone"]))
        assert page.status_code == 200 and b'name="_save"' not in page.content
        shown = page.content.decode()  # the JSON indented as the change page shows it, the method as HTTP spells it
        assert '<pre class="gateway-json-shown">{\n  &quot;type&quot;: &quot;object&quot;,' in shown
        assert '<pre class="gateway-json-shown">[&quot;admin&quot;]</pre>' in shown
        assert '<div class="readonly">GET</div>' in shown
        assert auditor.get(ADD).status_code == 403
        assert auditor.post(change_url(catalogue["everyone"]), add_form()).status_code == 403
