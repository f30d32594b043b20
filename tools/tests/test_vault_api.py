"""/v1/secrets (issue 13): a tenant admin's own vault; names and dates out, a value only ever in."""

import pytest

from tools.models import VaultSecret
from tools.vault import secret_reveal, secret_store

VALUE = "sk-live-0123456789"


def put_secret(api, actor, name, value=VALUE):
    return api.put(f"/v1/secrets/{name}", {"value": value}, format="json", headers=actor.headers())


@pytest.mark.django_db
class TestSecrets:
    def test_store_replace_list_delete(self, api, acme_admin):
        created = put_secret(api, acme_admin, "crm.token")
        replaced = put_secret(api, acme_admin, "crm.token", "another")
        listed = api.get("/v1/secrets", headers=acme_admin.headers())
        assert (created.status_code, replaced.status_code, listed.status_code) == (201, 200, 200)
        assert set(created.json()) == {"name", "created_at", "updated_at"}
        assert [entry["name"] for entry in listed.json()] == ["crm.token"]
        assert set(listed.json()[0]) == {"name", "created_at", "updated_at"}
        assert secret_reveal(secret=VaultSecret.objects.get()) == "another"

        assert api.delete("/v1/secrets/crm.token", headers=acme_admin.headers()).status_code == 204
        again = api.delete("/v1/secrets/crm.token", headers=acme_admin.headers())
        assert (again.status_code, again.json()["code"]) == (404, "secret_not_found")

    def test_no_answer_holds_the_value_or_its_ciphertext(self, api, acme_admin):
        answers = [put_secret(api, acme_admin, "crm.token"), put_secret(api, acme_admin, "crm.token")]
        answers.append(api.get("/v1/secrets", headers=acme_admin.headers()))
        ciphertext = VaultSecret.objects.get().ciphertext
        for answer in answers:
            assert VALUE.encode() not in answer.content and ciphertext.encode() not in answer.content

    def test_a_value_is_kept_exactly_as_sent(self, api, acme_admin):
        put_secret(api, acme_admin, "padded", "  spaced  ")
        assert secret_reveal(secret=VaultSecret.objects.get()) == "  spaced  "

    @pytest.mark.parametrize(
        ("name", "value", "field"),
        [
            ("Upper", VALUE, "name"),
            ("-lead", VALUE, "name"),
            ("x" * 101, VALUE, "name"),
            ("token", "x" * 8193, "value"),
            ("token", "", "value"),
            ("token", "   ", "value"),
            ("token", 5, "value"),
        ],
    )
    def test_limits(self, api, acme_admin, name, value, field):
        refused = put_secret(api, acme_admin, name, value)
        assert (refused.status_code, refused.json()["code"]) == (422, "validation_error")
        assert list(refused.json()["errors"]) == [field]
        assert not VaultSecret.objects.exists()

    def test_the_value_limit_is_the_setting(self, api, acme_admin, settings):
        settings.GATEWAY_VAULT_MAX_SECRET_BYTES = 16
        assert put_secret(api, acme_admin, "token", "x" * 16).status_code == 201
        assert put_secret(api, acme_admin, "token", "x" * 17).status_code == 422

    def test_validates_tenant(self, api, acme_admin, outsider):
        secret_store(tenant=acme_admin.tenant, name="crm.token", value=VALUE)
        secret_store(tenant=None, name="shared", value=VALUE)
        assert api.get("/v1/secrets", headers=outsider.headers()).json() == []
        assert api.get("/v1/secrets", headers=acme_admin.headers()).json()[0]["name"] == "crm.token"
        for name in ("crm.token", "shared"):
            gone = api.delete(f"/v1/secrets/{name}", headers=outsider.headers())
            assert (gone.status_code, gone.json()["code"]) == (404, "secret_not_found")
        # The outsider's own secret of the same name is its own: Acme's is untouched.
        assert put_secret(api, outsider, "crm.token", "globex").status_code == 201
        assert secret_reveal(secret=VaultSecret.objects.get(tenant=acme_admin.tenant)) == VALUE
        assert VaultSecret.objects.count() == 3

    def test_members_are_refused(self, api, acme_member):
        for response in (
            api.get("/v1/secrets", headers=acme_member.headers()),
            put_secret(api, acme_member, "token"),
            api.delete("/v1/secrets/token", headers=acme_member.headers()),
        ):
            assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
            assert response.json()["detail"] == "Role 'member' is not authorized to manage secrets"
        assert not VaultSecret.objects.exists()

    def test_without_keys_the_vault_is_unavailable(self, api, acme_admin, settings):
        settings.GATEWAY_VAULT_KEYS = []  # production with GATEWAY_VAULT_KEYS unset
        refused = put_secret(api, acme_admin, "token")
        assert (refused.status_code, refused.json()["code"]) == (503, "vault_unavailable")
        assert "GATEWAY_VAULT_KEYS" in refused.json()["detail"]
        assert api.get("/v1/secrets", headers=acme_admin.headers()).status_code == 200
