"""tools/providers.py: a tenant's tools come from every provider in GATEWAY_TOOL_PROVIDERS, asked in order with the
tenant; the catalogue and the invocation pipeline both see exactly what the providers offer that tenant."""

import pytest

from audit.models import AuditLog
from gateway_project.errors import NotFound
from tools.providers import tool_list, tool_resolve
from tools.registry import registry
from tools.tests.helpers import ACME_ONLY_TOOLS, SHADOWING_TOOLS, attempt_invocation

REGISTRY = "tools.registry.registry"
ACME_ONLY = "tools.tests.helpers.ACME_ONLY_TOOLS"
SHADOWING = "tools.tests.helpers.SHADOWING_TOOLS"


@pytest.fixture
def providers(settings):
    """Name the providers, in order, as GATEWAY_TOOL_PROVIDERS."""

    def use(*paths: str) -> None:
        settings.GATEWAY_TOOL_PROVIDERS = list(paths)

    return use


def names(tools) -> list[str]:
    return [offered.name for offered in tools]


@pytest.mark.django_db
class TestResolve:
    def test_the_first_provider_to_offer_a_name_wins(self, providers, acme_admin):
        tenant = acme_admin.tenant

        providers(SHADOWING, REGISTRY)
        shadowed = tool_resolve(tenant=tenant, name="echo")
        providers(REGISTRY, SHADOWING)
        built_in = tool_resolve(tenant=tenant, name="echo")

        assert shadowed is SHADOWING_TOOLS.tool(tenant=tenant, name="echo")
        assert shadowed.description == "The shadowing echo."
        assert built_in is registry.get("echo")

    def test_a_name_the_first_provider_lacks_comes_from_the_next(self, providers, acme_admin):
        providers(SHADOWING, REGISTRY)

        assert tool_resolve(tenant=acme_admin.tenant, name="kpi_summary") is registry.get("kpi_summary")
        assert tool_resolve(tenant=acme_admin.tenant, name="alpha_tool").name == "alpha_tool"

    def test_a_name_no_provider_offers_is_none(self, providers, acme_admin):
        providers(SHADOWING, REGISTRY)
        assert tool_resolve(tenant=acme_admin.tenant, name="no_such_tool") is None

    def test_a_changed_provider_list_is_picked_up(self, providers, acme_admin):
        """The providers are cached by their list of paths: a new list is a new lookup, the old one still holds."""
        providers(REGISTRY)
        before = tool_resolve(tenant=acme_admin.tenant, name="alpha_tool")
        providers(REGISTRY, SHADOWING)
        added = tool_resolve(tenant=acme_admin.tenant, name="alpha_tool")
        providers(REGISTRY)
        after = tool_resolve(tenant=acme_admin.tenant, name="alpha_tool")

        assert (before, added.name, after) == (None, "alpha_tool", None)


@pytest.mark.django_db
class TestList:
    @pytest.mark.parametrize(
        ("order", "echo"),
        [((SHADOWING, REGISTRY), "The shadowing echo."), ((REGISTRY, SHADOWING), registry.get("echo").description)],
        ids=["shadowing-first", "registry-first"],
    )
    def test_every_name_once_sorted_the_first_offer_winning(self, providers, acme_admin, order, echo):
        providers(*order)

        listed = tool_list(tenant=acme_admin.tenant)

        expected = sorted({*names(registry.all()), "alpha_tool", "zeta_tool"})
        assert names(listed) == expected
        assert next(offered for offered in listed if offered.name == "echo").description == echo

    def test_one_provider_alone_is_listed_sorted(self, providers, acme_admin):
        providers(SHADOWING)
        assert names(tool_list(tenant=acme_admin.tenant)) == ["alpha_tool", "echo", "zeta_tool"]


@pytest.mark.django_db
class TestToolsOfOneTenant:
    """A provider is asked with the calling tenant, so it may offer a tool to one tenant only: the others can
    neither list it nor call it, and calling it is the same 404 as calling a tool that does not exist."""

    @pytest.fixture(autouse=True)
    def acme_only(self, providers):
        providers(REGISTRY, ACME_ONLY)

    def test_the_tenant_is_passed_to_the_provider(self, acme_admin, outsider):
        assert tool_resolve(tenant=acme_admin.tenant, name="test_acme_report") is ACME_ONLY_TOOLS.tools(tenant=None)[0]
        assert tool_resolve(tenant=outsider.tenant, name="test_acme_report") is None
        assert "test_acme_report" in names(tool_list(tenant=acme_admin.tenant))
        assert "test_acme_report" not in names(tool_list(tenant=outsider.tenant))

    def test_the_operator_sees_every_tool_any_tenant_may_have(self):
        assert "test_acme_report" in names(tool_list(tenant=None))

    def test_the_tenant_it_is_offered_to_may_call_it(self, acme_admin):
        result = attempt_invocation(acme_admin, {"tool_name": "test_acme_report"})

        assert (result.status, result.document["result"]) == (200, {"report": "acme"})
        assert AuditLog.objects.get().tool_name == "test_acme_report"

    def test_another_tenant_gets_tool_not_found_through_the_pipeline(self, outsider):
        with pytest.raises(NotFound) as offered_elsewhere:
            attempt_invocation(outsider, {"tool_name": "test_acme_report"})
        with pytest.raises(NotFound) as nowhere:
            attempt_invocation(outsider, {"tool_name": "test_nobodys_report"}, key="key-2")

        assert offered_elsewhere.value.code == "tool_not_found"
        assert offered_elsewhere.value.detail == "Tool 'test_acme_report' not found"
        assert nowhere.value.detail == "Tool 'test_nobodys_report' not found"
        rows = AuditLog.objects.order_by("id").values_list(
            "tenant", "outcome", "status_code", "error_code", "tool_name"
        )
        assert list(rows) == [
            (outsider.tenant.id, "error", 404, "tool_not_found", "test_acme_report"),
            (outsider.tenant.id, "error", 404, "tool_not_found", "test_nobodys_report"),
        ]

    def test_the_catalogue_lists_it_for_its_tenant_only(self, api, acme_admin, acme_member, outsider):
        catalogues = {
            who: [tool["name"] for tool in api.get("/v1/tools", headers=actor.headers()).json()]
            for who, actor in {"admin": acme_admin, "member": acme_member, "outsider": outsider}.items()
        }

        built_in = names(registry.all())
        assert catalogues["admin"] == sorted([*built_in, "test_acme_report"])
        assert catalogues["member"] == []  # issue 12: a member may call no tool, and the catalogue says so
        assert catalogues["outsider"] == built_in
