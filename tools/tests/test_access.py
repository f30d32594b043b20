"""Tool access (issue 12): the tenant's tool policy, the effective catalogue, and the explanation of a decision."""

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import AuditLog
from tenants.models import PrincipalKey, Role, Tenant, ToolPolicy
from tenants.principal_keys import principal_key_create

ACCESS_CODES = {"principal_key_required", "permission_denied", "key_scope", "tool_disabled", "role_not_allowed"}
# The tools the property test calls: each answers without side effects for the payload given here.
PAYLOADS = {
    "echo": {},
    "kpi_summary": {"kpi_id": "0b7c1c59-3c43-4f55-8c19-2f0c6a9d8a10"},  # no such KPI: the tool's own 404
    "test_heavy": {},
}


def invoke(api, headers, tool, key):
    body = {"tool_name": tool, "payload": PAYLOADS.get(tool, {})}
    return api.post("/v1/tools/invoke", body, format="json", headers={**headers, "Idempotency-Key": key})


def put_policy(api, actor, tool, **rule):
    return api.put(f"/v1/tool-policies/{tool}", {"enabled": True, **rule}, format="json", headers=actor.headers())


def listed(api, headers) -> set[str]:
    response = api.get("/v1/tools", headers=headers)
    assert response.status_code == 200, response.content
    return {tool["name"] for tool in response.json()}


def explain(api, admin, user, tool, key=None) -> dict:
    query = {"user_id": str(user.id), "tool": tool, **({"key_id": str(key.id)} if key else {})}
    response = api.get("/v1/access", query, headers=admin.headers())
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
class TestToolPolicy:
    def test_a_disabled_tool_is_refused_audited_and_unlisted(self, api, acme_admin):
        assert put_policy(api, acme_admin, "echo", enabled=False).status_code == 200

        response = invoke(api, acme_admin.headers(), "echo", "k1")

        assert (response.status_code, response.json()["code"]) == (403, "tool_disabled")
        row = AuditLog.objects.get()
        assert (row.outcome, row.error_code, row.tool_name) == ("denied", "tool_disabled", "echo")
        assert "echo" not in listed(api, acme_admin.headers())
        assert explain(api, acme_admin, acme_admin.user, "echo")["refused_by"] == "tool_disabled"

    def test_the_tenants_roles_replace_the_tools_own(self, api, acme_admin):
        put_policy(api, acme_admin, "echo", roles=["member"])
        response = invoke(api, acme_admin.headers(), "echo", "k1")
        assert (response.status_code, response.json()["code"]) == (403, "role_not_allowed")

    def test_clearing_the_rule_restores_the_tools_definition(self, api, acme_admin):
        put_policy(api, acme_admin, "echo", enabled=False)
        assert api.delete("/v1/tool-policies/echo", headers=acme_admin.headers()).status_code == 204
        assert invoke(api, acme_admin.headers(), "echo", "k1").status_code == 200
        again = api.delete("/v1/tool-policies/echo", headers=acme_admin.headers())
        assert (again.status_code, again.json()["code"]) == (404, "policy_not_found")

    def test_a_rule_is_one_row_per_tool_and_names_known_tools_and_roles(self, api, acme_admin):
        put_policy(api, acme_admin, "echo", enabled=False)
        put_policy(api, acme_admin, "echo", roles=["admin"])
        assert list(ToolPolicy.objects.values_list("tool_name", "enabled", "roles")) == [("echo", True, ["admin"])]
        unknown_tool = put_policy(api, acme_admin, "nope")
        unknown_role = put_policy(api, acme_admin, "echo", roles=["owner"])
        assert (unknown_tool.status_code, list(unknown_tool.json()["errors"])) == (422, ["tool_name"])
        assert (unknown_role.status_code, list(unknown_role.json()["errors"])) == (422, ["roles"])

    def test_members_may_not_set_policies_and_other_tenants_are_untouched(self, api, acme_admin, acme_member, outsider):
        assert put_policy(api, acme_member, "echo", enabled=False).json()["code"] == "permission_denied"
        put_policy(api, outsider, "echo", enabled=False)
        assert invoke(api, acme_admin.headers(), "echo", "k1").status_code == 200
        assert api.get("/v1/tool-policies", headers=acme_admin.headers()).json() == []


@pytest.mark.django_db(transaction=True)
def test_the_policy_costs_no_query_on_the_invoke_path(api, acme_admin, django_assert_num_queries):
    """Read in the authenticating query (a JSON aggregate), like the tenant's limits: the budget of
    tools/tests/test_views.py::test_success_path_query_budget holds with a policy in place."""
    put_policy(api, acme_admin, "kpi_summary", enabled=False)
    statements = 6 if connection.vendor == "sqlite" else 7
    with django_assert_num_queries(statements + 2) as captured:  # and Django's BEGIN and COMMIT
        assert invoke(api, acme_admin.headers(), "echo", "k2").status_code == 200
    reads = [query["sql"] for query in captured.captured_queries if "gateway_tool_policies" in query["sql"]]
    assert len(reads) == 1 and "gateway_users" in reads[0]  # inside the one authenticating query


@pytest.mark.django_db
class TestEffectiveAccess:
    def test_the_catalogue_lists_what_the_caller_may_call(self, api, acme_admin, acme_member):
        assert {"echo", "kpi_summary"} <= listed(api, acme_admin.headers())
        assert listed(api, acme_member.headers()) == set()  # a member may not invoke tools at all

    def test_a_keys_tool_list_narrows_the_catalogue(self, api, acme_admin):
        _key, secret = principal_key_create(tenant=acme_admin.tenant, user=acme_admin.user, label="x", tools=["echo"])
        assert listed(api, {"Authorization": f"Bearer {secret}"}) == {"echo"}

    def test_the_explanation_names_each_rule_in_order(self, api, acme_admin, acme_member):
        member = explain(api, acme_admin, acme_member.user, "echo")
        assert (member["allowed"], member["refused_by"]) == (False, "permission_denied")
        assert [verdict["rule"] for verdict in member["verdicts"]][:5] == [
            "service_key", "invoke_permission", "key_scope", "tenant_policy", "role"]  # fmt: skip
        assert {verdict["rule"] for verdict in member["verdicts"][5:]} == {"rate_limit"}
        admin = explain(api, acme_admin, acme_admin.user, "echo")
        assert (admin["allowed"], admin["refused_by"]) == (True, None)

    def test_the_explanation_reads_the_rate_limits_without_spending_them(self, api, acme_admin, settings):
        settings.GATEWAY_RATE_LIMIT_TOOL_PER_MINUTE = 1  # the tool's limit: asking does not count against it
        invoke(api, acme_admin.headers(), "echo", "k1")
        for _ in range(2):
            verdicts = explain(api, acme_admin, acme_admin.user, "echo")["verdicts"]
            tool_limit = next(verdict for verdict in verdicts if verdict["detail"].startswith("tool:"))
            assert tool_limit["detail"] == "tool: 1 of 1 in the last minute (a call now is refused)."

    @pytest.mark.parametrize(
        ("query", "code"),
        [({"tool": "nope"}, "tool_not_found"), ({"user_id": "00000000-0000-0000-0000-000000000000"}, "user_not_found")],
    )
    def test_unknown_users_and_tools_are_404(self, api, acme_admin, query, code):
        params = {"user_id": str(acme_admin.user.id), "tool": "echo", **query}
        response = api.get("/v1/access", params, headers=acme_admin.headers())
        assert (response.status_code, response.json()["code"]) == (404, code)

    def test_another_tenants_user_is_not_found(self, api, acme_admin, outsider):
        response = api.get(
            "/v1/access", {"user_id": str(outsider.user.id), "tool": "echo"}, headers=acme_admin.headers()
        )
        assert response.json()["code"] == "user_not_found"


caller = st.fixed_dictionaries(
    {
        "role": st.sampled_from([Role.ADMIN, Role.MEMBER]),
        "via_key": st.booleans(),
        "scope": st.none() | st.lists(st.sampled_from(sorted(PAYLOADS)), unique=True),
        "impersonation": st.booleans(),
        "policies": st.dictionaries(
            st.sampled_from(sorted(PAYLOADS)),
            st.tuples(st.booleans(), st.none() | st.lists(st.sampled_from([Role.ADMIN, Role.MEMBER]), unique=True)),
        ),
    }
)


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=caller)
def test_listed_explained_and_invoked_agree(api, acme_admin, acme_member, case):
    """For any policy, role and key scope: a tool is listed, and explained as allowed, exactly when
    invoking it is not refused for an access reason."""
    tenant = acme_admin.tenant
    ToolPolicy.objects.filter(tenant=tenant).delete()
    PrincipalKey.objects.filter(tenant=tenant).update(revoked_at="2026-01-01T00:00:00Z")
    Tenant.objects.filter(pk=tenant.pk).update(service_key_acts_as_users=case["impersonation"])
    for tool, (enabled, roles) in case["policies"].items():
        ToolPolicy.objects.create(tenant=tenant, tool_name=tool, enabled=enabled, roles=roles)
    actor = acme_admin if case["role"] == Role.ADMIN else acme_member
    key = None
    if case["via_key"]:
        key, secret = principal_key_create(tenant=tenant, user=actor.user, label="p", tools=case["scope"])
        headers = {"Authorization": f"Bearer {secret}"}
    else:
        headers = actor.headers()

    catalogue = api.get("/v1/tools", headers=headers)
    shown = {tool["name"] for tool in catalogue.json()} if catalogue.status_code == 200 else set()
    for tool in PAYLOADS:
        answer = invoke(api, headers, tool, f"{tool}-{AuditLog.objects.count()}")
        refused_for_access = answer.status_code == 403 and answer.json()["code"] in ACCESS_CODES
        explained = explain(api, acme_admin, actor.user, tool, key)
        assert (tool in shown) == (not refused_for_access) == explained["allowed"], (tool, answer.json(), explained)
        if refused_for_access:
            assert explained["refused_by"] == answer.json()["code"]
