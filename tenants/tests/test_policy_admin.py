"""Operators set a tenant's tool policy in the console; the API obeys it on the next request."""

import pytest
from django.urls import reverse

from tenants.models import ToolPolicy

ADD = reverse("admin:tenants_toolpolicy_add")


def invoke(api, actor, key="k"):
    return api.post("/v1/tools/invoke", {"tool_name": "echo"}, format="json",
                    headers=actor.headers(**{"Idempotency-Key": key}))  # fmt: skip


@pytest.mark.django_db
class TestToolPolicyInTheConsole:
    def test_an_operator_disables_a_tool_for_one_tenant(self, admin_client, api, acme_admin, outsider):
        response = admin_client.post(ADD, {"tenant": acme_admin.tenant.pk, "tool_name": "echo", "own_roles": "True"})

        assert response.status_code == 302, response.content[:500]
        assert list(ToolPolicy.objects.values_list("tool_name", "enabled", "roles")) == [("echo", False, None)]
        assert invoke(api, acme_admin).json()["code"] == "tool_disabled"
        assert invoke(api, outsider).status_code == 200

    def test_the_roles_ticked_replace_the_tools_own(self, admin_client, api, acme_admin):
        admin_client.post(ADD, {"tenant": acme_admin.tenant.pk, "tool_name": "echo", "enabled": "on",
                                "own_roles": "False", "roles": ["member"]})  # fmt: skip
        assert ToolPolicy.objects.get().roles == ["member"]
        assert invoke(api, acme_admin).json()["code"] == "role_not_allowed"

    def test_deleting_the_rule_restores_the_tool(self, admin_client, api, acme_admin):
        admin_client.post(ADD, {"tenant": acme_admin.tenant.pk, "tool_name": "echo", "own_roles": "True"})
        policy = ToolPolicy.objects.get()
        response = admin_client.post(reverse("admin:tenants_toolpolicy_delete", args=[policy.pk]), {"post": "yes"})
        assert response.status_code == 302
        assert invoke(api, acme_admin).status_code == 200

    def test_a_second_rule_for_the_same_tool_is_refused_on_the_form(self, admin_client, acme_admin):
        fields = {"tenant": acme_admin.tenant.pk, "tool_name": "echo", "own_roles": "True"}
        admin_client.post(ADD, fields)
        again = admin_client.post(ADD, {**fields, "enabled": "on"})
        assert again.status_code == 200 and b"already has a rule" in again.content
        assert ToolPolicy.objects.count() == 1

    def test_the_list_and_a_rule_page_render(self, admin_client, acme_admin):
        admin_client.post(ADD, {"tenant": acme_admin.tenant.pk, "tool_name": "echo", "own_roles": "True"})
        assert admin_client.get(reverse("admin:tenants_toolpolicy_changelist")).status_code == 200
        page = admin_client.get(reverse("admin:tenants_toolpolicy_change", args=[ToolPolicy.objects.get().pk]))
        assert page.status_code == 200
