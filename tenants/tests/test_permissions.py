from types import SimpleNamespace

import pytest

from gateway_project.errors import Forbidden
from tenants.api_access import HasRolePermission
from tenants.models import Role
from tenants.permissions import (
    ANY_TENANT_USER,
    PERMISSION_ACTIONS,
    ROLE_PERMISSIONS,
    Permission,
    Requirement,
    permission_require,
)


def test_the_role_table_is_the_contracts():
    assert ROLE_PERMISSIONS[Role.ADMIN] == {
        Permission.TOOLS_INVOKE,
        Permission.KPIS_WRITE,
        Permission.KPIS_READ,
        Permission.USERS_WRITE,
        Permission.KEYS_WRITE,
        Permission.ACCESS_MANAGE,
        Permission.SECRETS_WRITE,
        Permission.TOOLS_MANAGE,
    }
    assert ROLE_PERMISSIONS[Role.MEMBER] == {Permission.KPIS_READ}
    assert set(PERMISSION_ACTIONS) == set(Permission)
    assert set(ROLE_PERMISSIONS) == set(Role)


@pytest.mark.parametrize("permission", list(Permission))
def test_admin_holds_every_permission(permission):
    permission_require(role=Role.ADMIN, permission=permission)


def test_unknown_role_holds_nothing():
    with pytest.raises(Forbidden, match="Role 'owner' is not authorized to read KPIs"):
        permission_require(role="owner", permission=Permission.KPIS_READ)


def request_as(role, *, key=None, service_key_acts_as_users=True):
    """A request as HasRolePermission sees it: the user, and the context that authenticated it."""
    tenant = SimpleNamespace(service_key_acts_as_users=service_key_acts_as_users)
    return SimpleNamespace(user=SimpleNamespace(role=role), auth=SimpleNamespace(tenant=tenant, key=key))


def view(action, required):
    return SimpleNamespace(action=action, required_permissions=required)


def test_an_action_missing_from_the_table_is_refused():
    with pytest.raises(Forbidden, match="not open to any role"):
        HasRolePermission().has_permission(request_as(Role.ADMIN), view("destroy", {"list": ANY_TENANT_USER}))


def test_any_tenant_user_needs_no_permission():
    assert HasRolePermission().has_permission(request_as(Role.MEMBER), view("list", {"list": ANY_TENANT_USER}))


def test_the_required_permission_is_checked():
    with pytest.raises(Forbidden):
        HasRolePermission().has_permission(request_as(Role.MEMBER), view("create", {"create": Permission.KPIS_WRITE}))


def test_an_action_names_its_own_words_in_the_denial():
    create = {"create": Requirement(Permission.KPIS_WRITE, "create KPIs")}
    with pytest.raises(Forbidden, match="^Role 'member' is not authorized to create KPIs$"):
        HasRolePermission().has_permission(request_as(Role.MEMBER), view("create", create))


def test_a_bare_permission_uses_the_permissions_own_words():
    # As a tool's own permission is checked at invoke time.
    with pytest.raises(Forbidden, match="^Role 'member' is not authorized to invoke tools$"):
        permission_require(role=Role.MEMBER, permission=Permission.TOOLS_INVOKE)


def test_an_action_that_holds_its_permission_passes_whatever_its_words():
    latest = {"latest": Requirement(Permission.KPIS_READ, "read KPIs")}
    assert HasRolePermission().has_permission(request_as(Role.MEMBER), view("latest", latest))


class TestTheTenantKeyWhereItMayNotActAsUsers:
    """Issue 12: with impersonation off, the tenant key only administers; a principal key still acts."""

    kpis_read = {"list": Permission.KPIS_READ}

    def test_it_is_refused_before_the_role(self):
        with pytest.raises(Forbidden) as refused:
            HasRolePermission().has_permission(request_as(Role.ADMIN, service_key_acts_as_users=False),
                                               view("list", self.kpis_read))  # fmt: skip
        assert refused.value.code == "principal_key_required"

    def test_it_may_still_administer(self):
        administering = SimpleNamespace(action="create", required_permissions={"create": Permission.USERS_WRITE},
                                        administering_actions=("create",))  # fmt: skip
        assert HasRolePermission().has_permission(request_as(Role.ADMIN, service_key_acts_as_users=False),
                                                  administering)  # fmt: skip

    def test_a_principal_key_is_not_affected(self):
        principal = request_as(Role.MEMBER, key=SimpleNamespace(tools=None), service_key_acts_as_users=False)
        assert HasRolePermission().has_permission(principal, view("list", self.kpis_read))

    def test_by_default_the_tenant_key_acts_as_any_user(self):
        assert HasRolePermission().has_permission(request_as(Role.MEMBER), view("list", self.kpis_read))
