"""The credentials vault (issue 13): encrypted at rest, keys rotated without losing a secret, values never shown."""

import base64
import io
import json
import logging
from urllib.parse import quote, quote_plus

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.urls import reverse

from tools import vault
from tools.checks import vault_keys_check
from tools.models import VaultSecret
from tools.vault import (
    VaultUnavailable,
    key_fingerprint,
    redact,
    secret_delete,
    secret_reveal,
    secret_store,
    vault_reencrypt,
)

VALUE = "sk-live-Zq3+/x=token"
KEY_A, KEY_B = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def keys(settings):
    """Set GATEWAY_VAULT_KEYS for the test: `keys("B", "A")`."""
    named = {"A": KEY_A, "B": KEY_B}

    def use(*names: str) -> None:
        settings.GATEWAY_VAULT_KEYS = [named[name] for name in names]

    return use


@pytest.mark.django_db
class TestStoreAndReveal:
    def test_round_trip(self, acme_admin):
        secret = secret_store(tenant=acme_admin.tenant, name="crm.token", value=VALUE)
        assert secret.created
        assert secret_reveal(secret=VaultSecret.objects.get(pk=secret.pk)) == VALUE

    def test_the_stored_row_holds_no_value(self, acme_admin, keys):
        keys("A")
        secret_store(tenant=acme_admin.tenant, name="crm.token", value=VALUE)
        row = VaultSecret.objects.values().get()
        assert VALUE not in json.dumps(row, default=str)
        assert row["key_fingerprint"] == key_fingerprint(KEY_A) and len(row["key_fingerprint"]) == 16
        assert Fernet(KEY_A).decrypt(row["ciphertext"].encode()).decode() == VALUE

    def test_a_store_replaces_the_value(self, acme_admin):
        first = secret_store(tenant=acme_admin.tenant, name="crm.token", value="old")
        second = secret_store(tenant=acme_admin.tenant, name="crm.token", value="new")
        assert (first.pk, second.created) == (second.pk, False)
        assert secret_reveal(secret=VaultSecret.objects.get()) == "new"

    def test_names_are_per_owner(self, acme_admin, outsider):
        secret_store(tenant=acme_admin.tenant, name="token", value="acme")
        secret_store(tenant=outsider.tenant, name="token", value="globex")
        secret_store(tenant=None, name="token", value="operator")
        secret_store(tenant=None, name="token", value="operator-2")
        assert VaultSecret.objects.count() == 3
        assert secret_reveal(secret=VaultSecret.objects.get(tenant=None)) == "operator-2"

    def test_delete(self, acme_admin):
        secret_store(tenant=acme_admin.tenant, name="token", value=VALUE)
        assert secret_delete(tenant=acme_admin.tenant, name="token") is True
        assert secret_delete(tenant=acme_admin.tenant, name="token") is False

    def test_the_log_never_holds_the_value(self, acme_admin, caplog):
        with caplog.at_level(logging.DEBUG):
            secret = secret_store(tenant=acme_admin.tenant, name="token", value=VALUE)
            secret_reveal(secret=secret)
        assert "token" in caplog.text
        assert all(VALUE not in repr(record.__dict__) for record in caplog.records)

    @pytest.mark.parametrize("name", ["", "Upper", "-lead", "sp ace", "a/b", "x" * 101])
    def test_a_malformed_name_is_refused(self, acme_admin, name):
        with pytest.raises(vault.ValidationFailed) as refused:
            secret_store(tenant=acme_admin.tenant, name=name, value=VALUE)
        assert list(refused.value.errors) == ["name"]

    def test_the_value_limit_is_a_setting(self, acme_admin, settings):
        settings.GATEWAY_VAULT_MAX_SECRET_BYTES = 4
        secret_store(tenant=acme_admin.tenant, name="token", value="abcd")
        for too_long in ("abcde", "ééé"):  # bytes, not characters
            with pytest.raises(vault.ValidationFailed) as refused:
                secret_store(tenant=acme_admin.tenant, name="token", value=too_long)
            assert list(refused.value.errors) == ["value"]

    def test_no_keys_refuses_to_store_or_reveal(self, acme_admin, settings):
        secret = secret_store(tenant=acme_admin.tenant, name="token", value=VALUE)
        settings.GATEWAY_VAULT_KEYS = []
        with pytest.raises(VaultUnavailable):
            secret_store(tenant=acme_admin.tenant, name="token", value=VALUE)
        with pytest.raises(VaultUnavailable) as unavailable:
            secret_reveal(secret=secret)
        assert (unavailable.value.status_code, unavailable.value.code) == (503, "vault_unavailable")


@pytest.mark.django_db
class TestKeyRotation:
    def test_prepend_reencrypt_then_drop_the_old_key(self, acme_admin, outsider, keys):
        keys("A")
        for tenant in (acme_admin.tenant, outsider.tenant, None):
            secret_store(tenant=tenant, name="token", value=VALUE)
        updated = dict(VaultSecret.objects.values_list("pk", "updated_at"))

        keys("B", "A")
        assert all(secret_reveal(secret=secret) == VALUE for secret in VaultSecret.objects.all())
        assert vault_reencrypt(batch_size=2) == 3
        assert set(VaultSecret.objects.values_list("key_fingerprint", flat=True)) == {key_fingerprint(KEY_B)}
        assert dict(VaultSecret.objects.values_list("pk", "updated_at")) == updated  # the value did not change
        assert vault_reencrypt() == 0

        keys("B")
        assert all(secret_reveal(secret=secret) == VALUE for secret in VaultSecret.objects.all())

    def test_a_dropped_key_is_named_not_guessed(self, acme_admin, keys):
        keys("A")
        secret = secret_store(tenant=acme_admin.tenant, name="token", value=VALUE)
        keys("B")
        with pytest.raises(VaultUnavailable, match=key_fingerprint(KEY_A)):
            secret_reveal(secret=secret)
        with pytest.raises(VaultUnavailable, match=key_fingerprint(KEY_A)):
            vault_reencrypt()

    def test_a_store_during_reencrypt_is_not_overwritten(self, acme_admin, keys, monkeypatch):
        keys("A")
        secret_store(tenant=acme_admin.tenant, name="token", value="old")
        secret_store(tenant=acme_admin.tenant, name="other", value="other")
        keys("B", "A")
        rotate = vault._rotated

        def store_meanwhile(keyring, ciphertext):
            # Between reading the batch and writing the row, an admin stores a new value.
            if not hasattr(store_meanwhile, "done"):
                store_meanwhile.done = True
                secret_store(tenant=acme_admin.tenant, name="token", value="new")
            return rotate(keyring, ciphertext)

        monkeypatch.setattr(vault, "_rotated", store_meanwhile)
        assert vault_reencrypt() == 1  # "other"; "token" was already moved by the store
        assert secret_reveal(secret=VaultSecret.objects.get(name="token")) == "new"
        assert set(VaultSecret.objects.values_list("key_fingerprint", flat=True)) == {key_fingerprint(KEY_B)}

    def test_the_command(self, acme_admin, keys):
        keys("A")
        secret_store(tenant=acme_admin.tenant, name="token", value=VALUE)
        keys("B", "A")
        out = io.StringIO()
        call_command("reencrypt_vault", stdout=out)
        assert json.loads(out.getvalue()) == {"reencrypted": 1, "current_key": key_fingerprint(KEY_B)}

    def test_the_command_without_keys_fails_in_one_line(self, settings):
        settings.GATEWAY_VAULT_KEYS = []
        with pytest.raises(CommandError, match="GATEWAY_VAULT_KEYS"):
            call_command("reencrypt_vault", stdout=io.StringIO())


class TestRedact:
    def test_plain_url_encoded_and_base64(self):
        standard, urlsafe = base64.b64encode(VALUE.encode()).decode(), base64.urlsafe_b64encode(VALUE.encode()).decode()
        text = f"bad token {VALUE}; url ?key={quote(VALUE, safe='')} form {quote_plus(VALUE)}; {standard} {urlsafe}"
        redacted = redact(text, [VALUE, ""])
        assert redacted.count("[redacted]") == 5
        assert "Zq3" not in redacted and base64.b64encode(VALUE.encode()).decode()[:8] not in redacted

    def test_text_without_secrets_is_unchanged(self):
        assert redact("all fine", ["s3cret"]) == "all fine"
        assert redact("all fine", []) == "all fine"


def test_the_deploy_check_warns_in_production_without_keys(settings):
    settings.PRODUCTION, settings.GATEWAY_VAULT_KEYS = True, []
    assert [message.id for message in vault_keys_check(None)] == ["tools.W001"]
    settings.GATEWAY_VAULT_KEYS = [KEY_A]
    assert vault_keys_check(None) == []


@pytest.mark.django_db
class TestConsole:
    @pytest.fixture
    def secret(self, acme_admin):
        return secret_store(tenant=acme_admin.tenant, name="crm.token", value=VALUE)

    def test_list_and_change_pages_show_neither_value_nor_ciphertext(self, admin_client, secret):
        secret_store(tenant=None, name="shared", value=VALUE)
        listed = admin_client.get(reverse("admin:tools_vaultsecret_changelist"))
        page = admin_client.get(reverse("admin:tools_vaultsecret_change", args=[secret.pk]))
        for response in (listed, page):
            assert response.status_code == 200
            assert VALUE.encode() not in response.content
            assert secret.ciphertext.encode() not in response.content
        assert b"operator" in listed.content and secret.key_fingerprint.encode() in listed.content
        assert b'type="password"' in page.content

    def test_add_stores_through_the_vault(self, admin_client, acme_admin):
        form = {"tenant": acme_admin.tenant.pk, "name": "new.token", "value": VALUE}
        response = admin_client.post(reverse("admin:tools_vaultsecret_add"), form)
        assert response.status_code == 302
        assert secret_reveal(secret=VaultSecret.objects.get(name="new.token")) == VALUE

    def test_change_with_an_empty_value_keeps_it(self, admin_client, secret):
        change = reverse("admin:tools_vaultsecret_change", args=[secret.pk])
        assert admin_client.post(change, {"value": ""}).status_code == 302
        assert secret_reveal(secret=VaultSecret.objects.get()) == VALUE
        assert admin_client.post(change, {"value": "replaced"}).status_code == 302
        assert secret_reveal(secret=VaultSecret.objects.get()) == "replaced"

    def test_a_ciphertext_filter_is_refused(self, admin_client, secret):
        response = admin_client.get(reverse("admin:tools_vaultsecret_changelist"), {"ciphertext__startswith": "g"})
        assert response.status_code == 400  # DisallowedModelAdminLookup: no filter on it, not even for superusers

    def test_auditors_see_names_only(self, client, secret):
        auditor = User.objects.create_user("auditor-1", is_staff=True)
        auditor.groups.add(Group.objects.get(name="Auditors"))
        client.force_login(auditor)
        page = client.get(reverse("admin:tools_vaultsecret_change", args=[secret.pk]))
        assert page.status_code == 200
        assert b"crm.token" in page.content and b'type="password"' not in page.content
        assert client.get(reverse("admin:tools_vaultsecret_add")).status_code == 403
