"""Principal keys in the console: listed, minted, revoked and rotated by Operators (and superusers), seen by
Auditors. A key's secret is shown once, on the page answering the POST that minted it, and nowhere else."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.tests.helpers import migrated_back_to
from tenants.api_keys import api_key_matches
from tenants.models import PrincipalKey, Tenant
from tenants.principal_keys import principal_key_create, principal_key_revoke, principal_key_rotate

KEYS = reverse("admin:tenants_principalkey_changelist")
ADD_KEY = reverse("admin:tenants_principalkey_add")
SECRET = re.compile(rb'<code class="api-key">(gwp_[0-9a-f]{16}_[A-Za-z0-9_-]+)</code>')
ANY_SECRET = re.compile(rb"gwp_[0-9a-f]{16}_[A-Za-z0-9_-]{20,}")


def change_url(key: PrincipalKey) -> str:
    return reverse("admin:tenants_principalkey_change", args=[key.pk])


def rotate_url(key: PrincipalKey) -> str:
    return reverse("admin:tenants_principalkey_rotate", args=[key.pk])


def revoke_url(key: PrincipalKey) -> str:
    return reverse("admin:tenants_principalkey_revoke", args=[key.pk])


def mint(actor, label: str = "CI deploys", **fields) -> tuple[PrincipalKey, str]:
    return principal_key_create(tenant=actor.tenant, user=actor.user, label=label, **fields)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def revoke(*keys, confirmed: bool) -> dict:
    """The list's POST of the revoke action; `confirmed` is the confirmation page's answer."""
    return {"action": "revoke_keys", "_selected_action": [str(key.pk) for key in keys],
            **({"post": "yes"} if confirmed else {})}  # fmt: skip


def add_form(actor, **overrides) -> dict:
    return {"tenant": str(actor.tenant.pk), "user": str(actor.user.pk), "label": "billing agent",
            "expires_at_0": "", "expires_at_1": "", **overrides}  # fmt: skip


def listed(response) -> list[str]:
    return [key.label for key in response.context["cl"].result_list]


def staff_in(group: str) -> Client:
    member = User.objects.create_user(f"{group.lower()}-1", is_staff=True)
    member.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(member)
    return client


@pytest.fixture
def operator(db) -> Client:
    return staff_in("Operators")


@pytest.fixture
def auditor(db) -> Client:
    return staff_in("Auditors")


@pytest.fixture
def every_status(acme_admin, acme_member, outsider) -> dict[str, PrincipalKey]:
    """One key of each status, labelled by it."""
    active, _ = mint(acme_admin, "active", expires_at=datetime(2099, 1, 2, 3, 4, 5, tzinfo=UTC))
    expired, _ = mint(acme_member, "expired")
    PrincipalKey.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked, _ = mint(outsider, "revoked")
    principal_key_revoke(key=revoked)
    rotated, _ = mint(acme_admin, "rotated")
    successor, _ = principal_key_rotate(key=rotated, grace_seconds=3600)
    PrincipalKey.objects.filter(pk=successor.pk).update(label="successor")
    return {key.label: key for key in PrincipalKey.objects.all()}


@pytest.mark.django_db
class TestTheList:
    def test_shows_each_key_with_its_status(self, admin_client, every_status):
        response = admin_client.get(KEYS)

        statuses = {key.label: key.status for key in response.context["cl"].result_list}
        assert statuses == {"active": "active", "expired": "expired", "revoked": "revoked", "rotated": "rotated",
                            "successor": "active"}  # fmt: skip
        row = response.content.split(b"<tr")[2:]
        assert any(every_status["active"].prefix.encode() in cells and b"admin@acme.test" in cells for cells in row)
        headers = [str(column["text"]) for column in response.context["result_headers"]]
        assert headers[1:] == ["key", "status", "label", "tenant", "user", "created", "expires", "last used"]
        assert b'title="2099-01-02 03:04:05 UTC">2099-01-02 03:04</span>' in response.content  # expires, on hover

    @pytest.mark.parametrize(
        ("status", "labels"),
        [("active", ["active", "successor"]), ("expired", ["expired"]), ("revoked", ["revoked"]),
         ("rotated", ["rotated"]), ("no-such-status", ["active", "expired", "revoked", "rotated", "successor"])],
    )  # fmt: skip
    def test_filters_by_status(self, admin_client, every_status, status, labels):
        assert sorted(listed(admin_client.get(KEYS, {"status": status}))) == labels

    def test_a_rotated_key_past_its_grace_is_still_rotated_and_a_revoked_one_revoked(self, admin_client, acme_admin):
        rotated, _ = mint(acme_admin, "rotated")
        principal_key_rotate(key=rotated, grace_seconds=0)
        rotated_then_revoked, _ = mint(acme_admin, "rotated, then revoked")
        principal_key_rotate(key=rotated_then_revoked, grace_seconds=3600)
        principal_key_revoke(key=rotated_then_revoked)

        assert listed(admin_client.get(KEYS, {"status": "rotated"})) == ["rotated"]
        assert listed(admin_client.get(KEYS, {"status": "revoked"})) == ["rotated, then revoked"]

    def test_filters_by_tenant(self, admin_client, every_status, outsider):
        response = admin_client.get(KEYS, {"tenant__id__exact": str(outsider.tenant.pk)})
        assert listed(response) == ["revoked"]

    @pytest.mark.parametrize(
        ("term", "labels"),
        [("ACTIVE", ["active"]), ("member@", ["expired"]), ("globex", ["revoked"]), ("nobody", [])],
    )
    def test_searches_labels_and_emails(self, admin_client, every_status, term, labels):
        assert listed(admin_client.get(KEYS, {"q": term})) == labels

    def test_searches_a_prefix_or_public_id(self, admin_client, every_status):
        key = every_status["expired"]
        assert listed(admin_client.get(KEYS, {"q": key.prefix})) == ["expired"]
        assert listed(admin_client.get(KEYS, {"q": key.public_id[:8]})) == ["expired"]

    def test_query_count_does_not_grow_with_rows(self, admin_client, acme_admin, outsider,
                                                 django_assert_num_queries):  # fmt: skip
        for index in range(20):
            key, _ = mint(acme_admin if index % 2 else outsider, f"key {index}")
            if index % 5 == 0:
                principal_key_rotate(key=key, grace_seconds=60)
        # 1 session, 2 staff user, 3 tenants offered by the filter, 4 keys counted,
        # 5 the page of keys with tenant, user and status (its successor, if any) joined
        with django_assert_num_queries(5):
            response = admin_client.get(KEYS)
        assert len(response.context["cl"].result_list) == 24

    def test_nothing_is_deleted(self, admin_client, every_status):
        key = every_status["active"]
        assert (
            admin_client.post(reverse("admin:tenants_principalkey_delete", args=[key.pk]), {"post": "yes"}).status_code
            == 403
        )
        offered = [name for name, _ in admin_client.get(KEYS).context["action_form"].fields["action"].choices]
        assert "delete_selected" not in offered
        assert PrincipalKey.objects.filter(pk=key.pk).exists()


@pytest.mark.django_db
class TestAKeysPage:
    def test_shows_what_the_key_is_never_its_secret_or_digest(self, admin_client, acme_admin):
        key, secret = mint(acme_admin, tools=["echo"])
        response = admin_client.get(change_url(key))

        assert response.status_code == 200
        assert key.prefix.encode() in response.content
        assert b"echo" in response.content
        assert secret.encode() not in response.content
        assert key.digest.encode() not in response.content
        assert not ANY_SECRET.search(response.content)
        assert b'id="rotate-key"' in response.content
        assert b'id="revoke-key"' in response.content

    def test_only_the_label_changes(self, admin_client, acme_admin, outsider):
        key, _ = mint(acme_admin)
        admin_client.post(
            change_url(key), {"label": "renamed", "user": str(outsider.user.pk), "revoked_at_0": "2026-01-01"}
        )
        key.refresh_from_db()
        assert (key.label, key.user, key.revoked_at) == ("renamed", acme_admin.user, None)

    def test_a_rotated_key_links_its_successor_and_offers_no_second_rotation(self, admin_client, acme_admin):
        key, _ = mint(acme_admin)
        successor, _ = principal_key_rotate(key=key, grace_seconds=60)

        response = admin_client.get(change_url(key))

        assert f'href="{change_url(successor)}"'.encode() in response.content
        assert b'id="rotate-key"' not in response.content
        assert b'id="revoke-key"' in response.content  # its grace period can be cut short

    def test_a_revoked_key_offers_neither(self, admin_client, acme_admin):
        key, _ = mint(acme_admin)
        principal_key_revoke(key=key)
        response = admin_client.get(change_url(key))
        assert b'id="rotate-key"' not in response.content
        assert b'id="revoke-key"' not in response.content


@pytest.mark.django_db
class TestMintingAKey:
    def test_the_add_page_offers_tenant_user_label_expiry_and_tools(self, admin_client, acme_admin):
        response = admin_client.get(ADD_KEY)

        assert response.status_code == 200
        for name in (b'name="tenant"', b'name="user"', b'name="label"', b'name="expires_at_0"',
                     b'value="echo"', b'value="kpi_summary"'):  # fmt: skip
            assert name in response.content
        assert b'name="_addanother"' not in response.content
        assert b'name="_continue"' not in response.content

    def test_the_tenant_the_list_was_filtered_by_is_chosen(self, admin_client, acme_admin, outsider):
        filtered = f"tenant__id__exact={outsider.tenant.pk}"
        response = admin_client.get(ADD_KEY, {"_changelist_filters": filtered})
        assert response.context["adminform"].form["tenant"].value() == str(outsider.tenant.pk)
        chosen = admin_client.get(ADD_KEY, {"tenant": str(acme_admin.tenant.pk), "user": str(acme_admin.user.pk)})
        assert f'<option value="{acme_admin.user.pk}" selected>'.encode() in chosen.content
        assert admin_client.get(ADD_KEY, {"tenant": "not-an-id", "user": "x\x00"}).status_code == 200

    def test_shows_the_secret_once_and_never_again(self, admin_client, api, acme_admin):
        response = admin_client.post(ADD_KEY, add_form(acme_admin, tools=["echo"]))

        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"].split(", ")
        (secret,) = SECRET.findall(response.content)
        assert response.content.count(secret) == 1
        key = PrincipalKey.objects.get()
        assert api_key_matches(secret.decode(), key.digest)
        assert (key.tenant, key.user, key.label, key.tools, key.expires_at) == (
            acme_admin.tenant, acme_admin.user, "billing agent", ["echo"], None
        )  # fmt: skip
        assert api.get("/v1/kpis", headers=bearer(secret.decode())).status_code == 200
        # Nowhere else: not on the key's page, the list, the admin log, nor any message.
        for page in (admin_client.get(change_url(key)), admin_client.get(KEYS)):
            assert not ANY_SECRET.search(page.content)
        entry = LogEntry.objects.get()
        assert (entry.action_flag, entry.object_id) == (ADDITION, str(key.pk))
        assert secret.decode() not in f"{entry.object_repr} {entry.change_message}"

    def test_an_expiry_and_no_tools(self, admin_client, acme_admin):
        admin_client.post(ADD_KEY, add_form(acme_admin, expires_at_0="2099-01-02", expires_at_1="03:04:05"))
        key = PrincipalKey.objects.get()
        assert (key.tools, key.expires_at.isoformat()) == (None, "2099-01-02T03:04:05+00:00")

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"expires_at_0": "2001-01-01", "expires_at_1": "00:00"}, "expires_at", "Must be in the future."),
            ({"label": "   "}, "label", "This field is required."),
            ({"tools": ["no_such_tool"]}, "tools",
             "Select a valid choice. no_such_tool is not one of the available choices."),
        ],
    )  # fmt: skip
    def test_refusals_are_form_errors(self, admin_client, acme_admin, overrides, field, message):
        response = admin_client.post(ADD_KEY, add_form(acme_admin, **overrides))

        assert response.status_code == 200
        assert response.context["adminform"].form.errors[field] == [message]
        assert not PrincipalKey.objects.exists()
        assert not SECRET.findall(response.content)

    def test_a_user_of_another_tenant_is_refused(self, admin_client, acme_admin, outsider):
        response = admin_client.post(ADD_KEY, add_form(acme_admin, user=str(outsider.user.pk)))

        assert response.context["adminform"].form.errors["user"] == ["No such user in this tenant."]
        assert not PrincipalKey.objects.exists()

    def test_a_tool_the_tenant_lacks_is_refused_by_the_service(self, admin_client, acme_admin, settings):
        settings.GATEWAY_PRINCIPAL_KEY_MAX_TOOLS = 1
        response = admin_client.post(ADD_KEY, add_form(acme_admin, tools=["echo", "kpi_summary"]))

        assert response.context["adminform"].form.errors["tools"] == ["Name at most 1 tools."]
        assert not PrincipalKey.objects.exists()


@pytest.mark.django_db
class TestRevoking:
    def test_asks_first_listing_the_keys_and_changes_nothing(self, admin_client, api, acme_admin, outsider):
        acme_key, acme_secret = mint(acme_admin, "acme key")
        globex_key, _ = mint(outsider, "globex key")

        response = admin_client.post(KEYS, revoke(acme_key, globex_key, confirmed=False))

        assert response.status_code == 200
        assert [key.label for key in response.context["keys"]] == ["globex key", "acme key"]
        assert b'<input type="hidden" name="action" value="revoke_keys">' in response.content
        assert b'<input type="hidden" name="post" value="yes">' in response.content
        assert not PrincipalKey.objects.filter(revoked_at__isnull=False).exists()
        assert not LogEntry.objects.exists()
        assert api.get("/v1/kpis", headers=bearer(acme_secret)).status_code == 200

    def test_confirmed_it_revokes_and_logs_who(self, admin_client, admin_user, api, acme_admin, outsider):
        acme_key, acme_secret = mint(acme_admin)
        _, globex_secret = mint(outsider)

        response = admin_client.post(KEYS, revoke(acme_key, confirmed=True))

        assert response.status_code == 302
        acme_key.refresh_from_db()
        assert acme_key.revoked_at is not None
        entry = LogEntry.objects.get()
        assert (entry.user, entry.action_flag, entry.object_id, entry.get_change_message()) == (
            admin_user, CHANGE, str(acme_key.pk), "Revoked."
        )  # fmt: skip
        assert api.get("/v1/kpis", headers=bearer(acme_secret)).json()["code"] == "key_revoked"
        assert api.get("/v1/kpis", headers=bearer(globex_secret)).status_code == 200

    def test_a_revoked_key_keeps_its_first_revocation(self, admin_client, acme_admin):
        key, _ = mint(acme_admin)
        principal_key_revoke(key=key)
        first = key.revoked_at

        admin_client.post(KEYS, revoke(key, confirmed=True))

        key.refresh_from_db()
        assert key.revoked_at == first
        assert not LogEntry.objects.exists()

    def test_a_keys_page_links_to_the_same_confirmation(self, admin_client, acme_admin):
        key, _ = mint(acme_admin)

        response = admin_client.get(revoke_url(key))

        assert [listed_key.pk for listed_key in response.context["keys"]] == [key.pk]
        assert f'action="{KEYS}"'.encode() in response.content
        assert f'name="_selected_action" value="{key.pk}"'.encode() in response.content
        assert PrincipalKey.objects.get(pk=key.pk).revoked_at is None


@pytest.mark.django_db
class TestRotating:
    def test_asks_for_a_grace_period(self, admin_client, acme_admin):
        key, _ = mint(acme_admin)
        response = admin_client.get(rotate_url(key))

        assert response.status_code == 200
        assert response.context["form"]["grace"].value() == 24
        assert b'name="unit"' in response.content
        assert PrincipalKey.objects.count() == 1

    @pytest.mark.parametrize(("grace", "unit", "seconds"), [("2", "hours", 7200), ("90", "seconds", 90)])
    def test_shows_the_successors_secret_once_and_the_old_key_works_for_the_grace(
        self, admin_client, admin_user, api, acme_admin, grace, unit, seconds
    ):
        key, old_secret = mint(acme_admin, tools=["echo"])
        before = timezone.now()

        response = admin_client.post(rotate_url(key), {"grace": grace, "unit": unit})

        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"].split(", ")
        (secret,) = SECRET.findall(response.content)
        assert response.content.count(secret) == 1
        successor = PrincipalKey.objects.get(rotated_from=key)
        assert api_key_matches(secret.decode(), successor.digest)
        assert (successor.user, successor.label, successor.tools) == (acme_admin.user, key.label, ["echo"])
        key.refresh_from_db()
        assert before + timedelta(seconds=seconds) <= key.expires_at <= timezone.now() + timedelta(seconds=seconds)
        assert key.prefix.encode() in response.content.split(b'id="replaced-key"')[1]
        # Both work during the grace period.
        assert api.get("/v1/kpis", headers=bearer(old_secret)).status_code == 200
        assert api.get("/v1/kpis", headers=bearer(secret.decode())).status_code == 200
        logged = {(entry.object_id, entry.action_flag) for entry in LogEntry.objects.filter(user=admin_user)}
        assert logged == {(str(key.pk), CHANGE), (str(successor.pk), ADDITION)}
        assert not any(secret.decode() in entry.change_message for entry in LogEntry.objects.all())
        assert not ANY_SECRET.search(admin_client.get(change_url(successor)).content)

    def test_no_grace_stops_the_old_key_at_once(self, admin_client, api, acme_admin):
        key, old_secret = mint(acme_admin)
        admin_client.post(rotate_url(key), {"grace": "0", "unit": "seconds"})
        assert api.get("/v1/kpis", headers=bearer(old_secret)).json()["code"] == "key_expired"

    def test_the_grace_is_bounded_by_the_setting(self, admin_client, acme_admin, settings):
        settings.GATEWAY_KEY_ROTATION_MAX_GRACE_SECONDS = 3600
        key, _ = mint(acme_admin)

        asked = admin_client.get(rotate_url(key))
        response = admin_client.post(rotate_url(key), {"grace": "3601", "unit": "seconds"})

        assert asked.context["form"]["grace"].value() == 1
        assert response.status_code == 200
        assert response.context["form"].errors["grace"] == ["At most 3600 seconds (1 hours)."]
        assert PrincipalKey.objects.count() == 1
        assert admin_client.post(rotate_url(key), {"grace": "1", "unit": "hours"}).status_code == 200
        assert PrincipalKey.objects.count() == 2

    @pytest.mark.parametrize("form", [{"grace": "-1", "unit": "hours"}, {"grace": "1", "unit": "days"}, {}])
    def test_a_malformed_grace_is_a_form_error(self, admin_client, acme_admin, form):
        key, _ = mint(acme_admin)
        response = admin_client.post(rotate_url(key), form)
        assert response.status_code == 200
        assert response.context["form"].errors
        assert PrincipalKey.objects.count() == 1

    def test_a_rotated_revoked_or_expired_key_is_not_rotated(self, admin_client, acme_admin):
        rotated, _ = mint(acme_admin, "rotated")
        principal_key_rotate(key=rotated, grace_seconds=60)
        revoked, _ = mint(acme_admin, "revoked")
        principal_key_revoke(key=revoked)
        expired, _ = mint(acme_admin, "expired")
        PrincipalKey.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
        count = PrincipalKey.objects.count()

        for key in (rotated, revoked, expired):
            response = admin_client.post(rotate_url(key), {"grace": "1", "unit": "hours"}, follow=True)
            assert response.redirect_chain == [(change_url(key), 302)]
            (message,) = [str(message) for message in response.context["messages"]]
            assert key.prefix in message

        assert PrincipalKey.objects.count() == count


@pytest.mark.django_db
class TestOperators:
    def test_list_mint_revoke_and_rotate(self, operator, api, acme_admin):
        assert operator.get(KEYS).status_code == 200
        assert operator.get(ADD_KEY).status_code == 200
        minted = operator.post(ADD_KEY, add_form(acme_admin))
        (secret,) = SECRET.findall(minted.content)
        key = PrincipalKey.objects.get()

        rotated = operator.post(rotate_url(key), {"grace": "0", "unit": "seconds"})
        (successor_secret,) = SECRET.findall(rotated.content)
        successor = PrincipalKey.objects.get(rotated_from=key)

        assert operator.post(KEYS, revoke(successor, confirmed=True)).status_code == 302
        assert PrincipalKey.objects.get(pk=successor.pk).revoked_at is not None
        assert api.get("/v1/kpis", headers=bearer(successor_secret.decode())).json()["code"] == "key_revoked"
        assert api.get("/v1/kpis", headers=bearer(secret.decode())).json()["code"] == "key_expired"

    def test_delete_nothing(self, operator, acme_admin):
        key, _ = mint(acme_admin)
        assert (
            operator.post(reverse("admin:tenants_principalkey_delete", args=[key.pk]), {"post": "yes"}).status_code
            == 403
        )


@pytest.mark.django_db
class TestAuditors:
    def test_see_the_list_and_a_keys_page_read_only(self, auditor, acme_admin):
        key, _ = mint(acme_admin)

        assert auditor.get(KEYS).status_code == 200
        page = auditor.get(change_url(key))
        assert page.status_code == 200
        assert b'name="_save"' not in page.content
        assert b'id="rotate-key"' not in page.content
        assert b'id="revoke-key"' not in page.content
        assert auditor.get(KEYS).context["action_form"] is None  # no revoke action offered

    def test_mint_revoke_and_rotate_nothing(self, auditor, api, acme_admin):
        key, secret = mint(acme_admin)

        assert auditor.get(ADD_KEY).status_code == 403
        assert auditor.post(ADD_KEY, add_form(acme_admin)).status_code == 403
        assert auditor.get(rotate_url(key)).status_code == 403
        assert auditor.post(rotate_url(key), {"grace": "1", "unit": "hours"}).status_code == 403
        assert auditor.get(revoke_url(key)).status_code == 403
        auditor.post(KEYS, revoke(key, confirmed=True))
        auditor.post(change_url(key), {"label": "renamed"})

        assert list(PrincipalKey.objects.values_list("label", "revoked_at", "expires_at")) == [(key.label, None, None)]
        assert api.get("/v1/kpis", headers=bearer(secret)).status_code == 200


def permissions_on_keys(group: str) -> set[str]:
    return set(
        Group.objects.get(name=group)
        .permissions.filter(codename__endswith="_principalkey")
        .values_list("codename", flat=True)
    )


@pytest.mark.django_db
def test_the_groups_hold_these_key_permissions():
    assert permissions_on_keys("Operators") == {"view_principalkey", "add_principalkey", "change_principalkey"}
    assert permissions_on_keys("Auditors") == {"view_principalkey"}


@pytest.mark.django_db(transaction=True)
def test_the_grant_reverses_and_runs_again():
    with migrated_back_to(("tenants", "0005_principal_keys")) as executor:
        # The groups as a database may hold them (a flushed test database has none): without key permissions,
        # and Auditors given one more by hand, which the grant leaves alone.
        for name in ("Operators", "Auditors"):
            Group.objects.get_or_create(name=name)
        assert permissions_on_keys("Operators") == permissions_on_keys("Auditors") == set()
        # Permissions are made after migrations (post_migrate); an earlier test's migrations may have left none yet.
        by_hand, _ = Permission.objects.get_or_create(
            codename="change_principalkey",
            content_type=ContentType.objects.get_for_model(PrincipalKey),
            defaults={"name": "Can change principal key"},
        )
        Group.objects.get(name="Auditors").permissions.add(by_hand)

        executor.loader.build_graph()
        executor.migrate([("tenants", "0006_principal_key_console_permissions")])

        assert permissions_on_keys("Operators") == {"view_principalkey", "add_principalkey", "change_principalkey"}
        assert permissions_on_keys("Auditors") == {"view_principalkey", "change_principalkey"}


def tenant_form(tenant: Tenant) -> dict[str, str]:
    return {"name": tenant.name, "region": tenant.region, "users-TOTAL_FORMS": "0", "users-INITIAL_FORMS": "0"}


@pytest.mark.django_db
class TestTheTenantPage:
    def tenant_page(self, client, tenant: Tenant):
        return client.get(reverse("admin:tenants_tenant_change", args=[tenant.pk]))

    def test_says_whether_the_tenant_key_acts_as_users_and_switches_it(self, admin_client, acme_admin):
        tenant = acme_admin.tenant
        response = self.tenant_page(admin_client, tenant)
        assert b'name="service_key_acts_as_users"' in response.content
        assert Tenant._meta.get_field("service_key_acts_as_users").help_text.encode() in response.content

        admin_client.post(reverse("admin:tenants_tenant_change", args=[tenant.pk]),
                          {**tenant_form(tenant), "service_key_acts_as_users": "False"})  # fmt: skip
        assert not Tenant.objects.get(pk=tenant.pk).service_key_acts_as_users

        admin_client.post(reverse("admin:tenants_tenant_change", args=[tenant.pk]),
                          {**tenant_form(tenant), "service_key_acts_as_users": "True"})  # fmt: skip
        assert Tenant.objects.get(pk=tenant.pk).service_key_acts_as_users

    def test_a_page_sent_without_the_choice_leaves_it_as_it_was(self, admin_client, acme_admin):
        """A tenant page opened before the choice existed, saved after: an unticked checkbox would have switched
        the tenant key off (every client 403); a choice sent as nothing changes nothing."""
        tenant = acme_admin.tenant
        Tenant.objects.filter(pk=tenant.pk).update(service_key_acts_as_users=False)
        tenant.refresh_from_db()

        response = admin_client.post(reverse("admin:tenants_tenant_change", args=[tenant.pk]),
                                     {**tenant_form(tenant), "name": "Acme Renamed"})  # fmt: skip

        assert response.status_code == 302
        tenant.refresh_from_db()
        assert (tenant.name, tenant.service_key_acts_as_users) == ("Acme Renamed", False)
        Tenant.objects.filter(pk=tenant.pk).update(service_key_acts_as_users=True)
        admin_client.post(reverse("admin:tenants_tenant_change", args=[tenant.pk]), tenant_form(tenant))
        assert Tenant.objects.get(pk=tenant.pk).service_key_acts_as_users

    def test_a_new_tenants_key_acts_as_its_users(self, admin_client):
        assert b"service_key_acts_as_users" not in admin_client.get(reverse("admin:tenants_tenant_add")).content
        admin_client.post(
            reverse("admin:tenants_tenant_add"),
            {"name": "Initech", "region": "eu", "users-TOTAL_FORMS": "0", "users-INITIAL_FORMS": "0"},
        )
        assert Tenant.objects.get(name="Initech").service_key_acts_as_users

    def test_the_hub_links_to_the_tenants_keys(self, admin_client, acme_admin, outsider):
        mint(acme_admin, "acme key")
        mint(outsider, "globex key")

        links = {
            link.label: link.url for link in self.tenant_page(admin_client, acme_admin.tenant).context["hub"].links
        }

        assert links["API keys"] == f"{KEYS}?tenant__id__exact={acme_admin.tenant.pk}"
        assert listed(admin_client.get(links["API keys"])) == ["acme key"]

    def test_the_hub_offers_keys_only_to_staff_who_may_see_them(self, client, acme_admin):
        viewer = User.objects.create_user("viewer", is_staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_tenant"))
        client.force_login(viewer)
        assert "API keys" not in [
            link.label for link in self.tenant_page(client, acme_admin.tenant).context["hub"].links
        ]
