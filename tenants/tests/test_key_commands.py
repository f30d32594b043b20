"""create_api_key and revoke_api_key as an operator runs them: JSON on success (the secret once), one-line
reasons and exit codes on bad input, and keys that work, or stop working, at once."""

import uuid

import pytest

from tenants.api_keys import api_key_matches
from tenants.models import PrincipalKey
from tenants.principal_keys import principal_key_create, principal_key_revoke
from tenants.tests.helpers import failed, succeeded


def create_args(actor, *extra: str, label: str = "CI deploys") -> list[str]:
    return ["create_api_key", "--tenant", str(actor.tenant.id), "--user", str(actor.user.id), "--label", label, *extra]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


class TestCreateApiKey:
    def test_prints_the_key_once_and_it_acts_as_its_user(self, manage, api, acme_admin):
        created = succeeded(manage(*create_args(acme_admin)))

        key = PrincipalKey.objects.get()
        assert created == {
            "key_id": str(key.id),
            "prefix": f"gwp_{key.public_id}",
            "api_key": created["api_key"],
            "user_id": str(acme_admin.user.id),
            "tenant_id": str(acme_admin.tenant.id),
            "label": "CI deploys",
            "expires_at": None,
            "tools": None,
        }
        assert created["api_key"].startswith(f"{created['prefix']}_")
        assert api_key_matches(created["api_key"], key.digest)
        assert api.get("/v1/kpis", headers=bearer(created["api_key"])).status_code == 200

    def test_with_an_expiry_and_tools(self, manage, acme_admin):
        created = succeeded(
            manage(*create_args(acme_admin, "--expires-at", "2099-01-02T04:04:05+01:00", "--tool", "kpi_summary",
                                "--tool", "echo"))
        )  # fmt: skip

        assert (created["expires_at"], created["tools"]) == ("2099-01-02T03:04:05Z", ["echo", "kpi_summary"])
        key = PrincipalKey.objects.get()
        assert (key.expires_at.isoformat(), key.tools) == ("2099-01-02T03:04:05+00:00", ["echo", "kpi_summary"])

    @pytest.mark.parametrize("tenant_id", ["nope", str(uuid.uuid4())])
    def test_an_unknown_tenant_exits_1(self, manage, acme_admin, tenant_id):
        result = manage("create_api_key", "--tenant", tenant_id, "--user", str(acme_admin.user.id), "--label", "x")
        assert failed(result, 1) == f"CommandError: Tenant '{tenant_id}' not found"
        assert not PrincipalKey.objects.exists()

    def test_an_unknown_user_or_another_tenants_exits_1(self, manage, acme_admin, outsider):
        tenant_id = str(acme_admin.tenant.id)
        for user_id in ("nope", str(uuid.uuid4()), str(outsider.user.id)):
            result = manage("create_api_key", "--tenant", tenant_id, "--user", user_id, "--label", "x")
            assert failed(result, 1) == f"CommandError: User '{user_id}' not found in tenant '{tenant_id}'"
        assert not PrincipalKey.objects.exists()

    @pytest.mark.parametrize(
        ("extra", "label", "reason"),
        [
            (["--tool", "no_such_tool"], "x", "CommandError: tools: Unknown tool 'no_such_tool'."),
            ([], "  ", "CommandError: label: Give the key a label."),
            ([], "x" * 101, "CommandError: label: Ensure this field has no more than 100 characters."),
            (["--expires-at", "2001-01-01T00:00:00Z"], "x", "CommandError: expires_at: Must be in the future."),
            (["--expires-at", "2099-01-01T00:00:00"], "x",
             "CommandError: expires_at: Timestamp must include a UTC offset or 'Z'."),
            (["--expires-at", "tomorrow"], "x", "CommandError: expires_at: 'tomorrow' is not an RFC 3339 timestamp."),
        ],
    )  # fmt: skip
    def test_invalid_values_exit_1_and_mint_nothing(self, manage, acme_admin, extra, label, reason):
        assert failed(manage(*create_args(acme_admin, *extra, label=label)), 1) == reason
        assert not PrincipalKey.objects.exists()

    @pytest.mark.parametrize("missing", ["--tenant", "--user", "--label"])
    def test_a_missing_argument_exits_2(self, manage, acme_admin, missing):
        args = create_args(acme_admin)
        at = args.index(missing)
        assert "error:" in failed(manage(*args[:at], *args[at + 2 :]), 2)
        assert not PrincipalKey.objects.exists()


class TestRevokeApiKey:
    @pytest.fixture
    def minted(self, transactional_db, acme_admin) -> tuple[PrincipalKey, str]:
        return principal_key_create(tenant=acme_admin.tenant, user=acme_admin.user, label="CI deploys")

    @pytest.mark.parametrize("named_by", ["prefix", "public_id", "id"])
    def test_revokes_at_once(self, manage, api, acme_admin, minted, named_by):
        key, secret = minted

        revoked = succeeded(manage("revoke_api_key", "--key", str(getattr(key, named_by))))

        key.refresh_from_db()
        assert key.revoked_at is not None
        assert revoked == {
            "revoked": True,
            "key_id": str(key.id),
            "prefix": key.prefix,
            "tenant_id": str(acme_admin.tenant.id),
            "user_id": str(acme_admin.user.id),
            "label": "CI deploys",
            "revoked_at": key.revoked_at.isoformat().replace("+00:00", "Z"),
        }
        assert api.get("/v1/kpis", headers=bearer(secret)).json()["code"] == "key_revoked"

    def test_a_revoked_key_keeps_its_first_revocation(self, manage, minted):
        key, _ = minted
        principal_key_revoke(key=key)

        again = succeeded(manage("revoke_api_key", "--key", key.prefix))

        assert again["revoked"] is False
        assert again["revoked_at"] == key.revoked_at.isoformat().replace("+00:00", "Z")
        assert PrincipalKey.objects.get().revoked_at == key.revoked_at

    @pytest.mark.parametrize("named", ["gwp_0123456789abcdef", "0123456789abcdef", str(uuid.uuid4()), "nope"])
    def test_an_unknown_key_exits_1(self, manage, minted, named):
        assert failed(manage("revoke_api_key", "--key", named), 1) == f"CommandError: Key '{named}' not found"
        assert PrincipalKey.objects.get().revoked_at is None

    def test_the_key_itself_is_refused_and_never_echoed(self, manage, minted):
        _, secret = minted
        reason = failed(manage("revoke_api_key", "--key", secret), 1)

        assert reason == "CommandError: Pass the key's prefix (gwp_<public id>), not the key itself"
        assert PrincipalKey.objects.get().revoked_at is None

    def test_a_missing_key_exits_2(self, manage, minted):
        assert "error:" in failed(manage("revoke_api_key"), 2)
