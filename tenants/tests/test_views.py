import pytest
from django.utils import timezone
from model_bakery import baker

from tenants.api_keys import api_key_digest
from tenants.models import Role, Tenant, TenantUser


@pytest.mark.django_db
class TestCreateTenant:
    def test_returns_the_key_once_and_stores_only_its_digest(self, api):
        response = api.post("/v1/tenants", {"name": "Acme Corp", "region": "us-east-1"}, format="json")

        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"tenant_id", "name", "region", "api_key", "created_at"}
        assert (body["name"], body["region"]) == ("Acme Corp", "us-east-1")
        assert body["created_at"].endswith("Z")
        tenant = Tenant.objects.get(pk=body["tenant_id"])
        assert tenant.api_key_digest == api_key_digest(body["api_key"])
        assert body["api_key"] not in repr(Tenant.objects.filter(pk=tenant.pk).values().get())

    def test_the_answer_carrying_the_key_may_not_be_cached(self, api):
        response = api.post("/v1/tenants", {"name": "Acme Corp", "region": "us-east-1"}, format="json")

        assert response.status_code == 201
        assert response["Cache-Control"] == "no-store"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"region": "us-east-1"}, "name"),
            ({"name": "", "region": "us-east-1"}, "name"),
            ({"name": "   ", "region": "us-east-1"}, "name"),
            ({"name": "x" * 256, "region": "us-east-1"}, "name"),
            ({"name": "Acme"}, "region"),
            ({"name": "Acme", "region": "r" * 51}, "region"),
            ({"name": 12, "region": ["us"]}, "region"),
        ],
    )
    def test_invalid_body_is_422_naming_the_field(self, api, body, field):
        response = api.post("/v1/tenants", body, format="json")

        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"
        assert field in response.json()["errors"]
        assert Tenant.objects.count() == 0

    def test_limits_are_inclusive(self, api):
        response = api.post("/v1/tenants", {"name": "x" * 255, "region": "r" * 50}, format="json")
        assert response.status_code == 201

    def test_unparseable_json_is_400(self, api):
        response = api.post("/v1/tenants", b'{"name": ', content_type="application/json")

        assert response.status_code == 400
        assert response.json() == {"detail": "Request body is not valid JSON", "code": "malformed_json"}

    def test_closed_registration_is_403(self, api, settings):
        settings.GATEWAY_OPEN_REGISTRATION = False

        response = api.post("/v1/tenants", {"name": "Acme", "region": "eu"}, format="json")

        assert response.status_code == 403
        assert response.json()["code"] == "registration_closed"
        assert Tenant.objects.count() == 0


@pytest.mark.django_db
class TestCreateUserOpenRegistration:
    def test_creates_a_user(self, api, acme):
        tenant, _ = acme
        response = api.post(
            "/v1/users", {"tenant_id": str(tenant.id), "email": "ada@Acme.TEST", "role": "admin"}, format="json"
        )

        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"user_id", "tenant_id", "email", "role", "created_at"}
        assert body["tenant_id"] == str(tenant.id)
        assert body["email"] == "ada@acme.test"
        assert body["role"] == "admin"
        assert TenantUser.objects.get(pk=body["user_id"]).tenant == tenant

    def test_a_suspended_tenant_gets_no_new_users(self, api, acme):
        tenant, _ = acme
        tenant.suspended_at = timezone.now()
        tenant.save()
        response = api.post("/v1/users", {"tenant_id": str(tenant.id), "email": "new@acme.test", "role": "admin"},
                            format="json")  # fmt: skip

        assert response.status_code == 403
        assert response.json() == {"detail": "Tenant is suspended", "code": "tenant_suspended"}
        assert not tenant.users.exists()

    def test_unknown_tenant_is_404(self, api, db):
        missing = "00000000-0000-4000-8000-000000000000"
        response = api.post("/v1/users", {"tenant_id": missing, "email": "a@b.test", "role": "admin"}, format="json")

        assert response.status_code == 404
        assert response.json() == {"detail": f"Tenant '{missing}' not found", "code": "tenant_not_found"}

    def test_duplicate_email_in_tenant_is_409_whatever_the_case(self, api, acme_admin):
        body = {"tenant_id": str(acme_admin.tenant.id), "email": "ADMIN@acme.test", "role": "member"}
        response = api.post("/v1/users", body, format="json")

        assert response.status_code == 409
        assert response.json()["code"] == "duplicate_email"
        assert TenantUser.objects.filter(tenant=acme_admin.tenant).count() == 1

    def test_same_email_in_another_tenant_is_fine(self, api, acme_admin, outsider):
        body = {"tenant_id": str(outsider.tenant.id), "email": acme_admin.user.email, "role": "member"}
        assert api.post("/v1/users", body, format="json").status_code == 201

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"email": "a@b.test", "role": "admin"}, "tenant_id"),
            ({"tenant_id": "nope", "email": "a@b.test", "role": "admin"}, "tenant_id"),
            ({"tenant_id": 123, "email": "a@b.test", "role": "admin"}, "tenant_id"),
            ({"tenant_id": "ACME", "email": ["a@b.test"], "role": "admin"}, "email"),
            ({"tenant_id": "ACME", "email": "not-an-email", "role": "admin"}, "email"),
            ({"tenant_id": "ACME", "email": "a@b.test", "role": "owner"}, "role"),
            ({"tenant_id": "ACME", "email": "a@b.test"}, "role"),
        ],
    )
    def test_invalid_body_is_422(self, api, acme, body, field):
        tenant, _ = acme
        if body.get("tenant_id") == "ACME":
            body = {**body, "tenant_id": str(tenant.id)}
        response = api.post("/v1/users", body, format="json")

        assert response.status_code == 422
        assert field in response.json()["errors"]


@pytest.mark.django_db
class TestCreateUserClosedRegistration:
    @pytest.fixture(autouse=True)
    def _closed(self, settings):
        settings.GATEWAY_OPEN_REGISTRATION = False

    def body(self, tenant, email="new@acme.test"):
        return {"tenant_id": str(tenant.id), "email": email, "role": "member"}

    def test_requires_tenant_headers(self, api, acme_admin):
        response = api.post("/v1/users", self.body(acme_admin.tenant), format="json")

        assert response.status_code == 400
        assert response.json()["detail"] == "Missing required header: X-Tenant-ID"

    def test_admin_adds_a_user_to_their_own_tenant(self, api, acme_admin):
        response = api.post("/v1/users", self.body(acme_admin.tenant), format="json", headers=acme_admin.headers())

        assert response.status_code == 201
        assert TenantUser.objects.filter(tenant=acme_admin.tenant, email="new@acme.test").exists()

    def test_member_may_not_add_users(self, api, acme_member):
        response = api.post("/v1/users", self.body(acme_member.tenant), format="json", headers=acme_member.headers())

        assert response.status_code == 403
        assert response.json()["detail"] == "Role 'member' is not authorized to create users"

    def test_outsider_cannot_add_users_to_another_tenant(self, api, acme_admin, outsider):
        response = api.post("/v1/users", self.body(acme_admin.tenant), format="json", headers=outsider.headers())

        assert response.status_code == 404
        assert response.json()["code"] == "tenant_not_found"
        assert not TenantUser.objects.filter(email="new@acme.test").exists()


@pytest.mark.django_db
def test_api_keys_are_unique_random_tokens(api):
    keys = {
        api.post("/v1/tenants", {"name": f"T{i}", "region": "eu"}, format="json").json()["api_key"] for i in range(5)
    }
    assert len(keys) == 5
    assert all(key.startswith("gwk_") and len(key) == 47 for key in keys)


@pytest.mark.django_db
def test_roles_are_the_contracts(acme):
    tenant, _ = acme
    assert {choice for choice, _ in Role.choices} == {"admin", "member"}
    assert baker.make(TenantUser, tenant=tenant, role=Role.MEMBER).is_authenticated
