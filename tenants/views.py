from django.conf import settings
from rest_framework import status, viewsets
from rest_framework.response import Response

from gateway_project.api_views import ApiViewMixin
from gateway_project.errors import Forbidden, NotFound
from tenants.api_access import HasRolePermission, TenantHeaderAuthentication, TenantRateThrottle
from tenants.api_docs import tenant_create_docs, user_create_docs
from tenants.context import TenantSuspended
from tenants.models import Tenant
from tenants.permissions import Permission, Requirement
from tenants.secrets import carries_secret
from tenants.serializers import (
    TenantCreatedSerializer,
    TenantCreateSerializer,
    UserCreateSerializer,
    UserSerializer,
)
from tenants.services import tenant_create, user_create


class TenantViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """POST /v1/tenants: open registration only; otherwise tenants come from manage.py."""

    serializer_class = TenantCreateSerializer

    @tenant_create_docs
    @carries_secret
    def create(self, request):
        if not settings.GATEWAY_OPEN_REGISTRATION:
            raise Forbidden(
                "Open registration is disabled; tenants are created by an operator", code="registration_closed"
            )
        body = TenantCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        tenant, api_key = tenant_create(**body.validated_data)
        created = TenantCreatedSerializer({"tenant": tenant, "api_key": api_key})
        return Response(created.data, status=status.HTTP_201_CREATED)


class UserViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """POST /v1/users: open under open registration, else an admin of the same tenant only."""

    serializer_class = UserCreateSerializer
    required_permissions = {"create": Requirement(Permission.USERS_WRITE, "create users")}

    def get_authenticators(self):
        return [] if settings.GATEWAY_OPEN_REGISTRATION else [TenantHeaderAuthentication()]

    def get_permissions(self):
        return [] if settings.GATEWAY_OPEN_REGISTRATION else [HasRolePermission()]

    def get_throttles(self):
        return [] if settings.GATEWAY_OPEN_REGISTRATION else [TenantRateThrottle()]

    @user_create_docs
    def create(self, request):
        body = UserCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        tenant_id = body.validated_data["tenant_id"]
        tenant = self._target_tenant(request, tenant_id)
        if tenant is None:
            raise NotFound(f"Tenant '{tenant_id}' not found", code="tenant_not_found")
        if tenant.suspended_at is not None:
            # Open registration authenticates nobody, so suspension is checked here as well.
            raise TenantSuspended()
        user = user_create(tenant=tenant, email=body.validated_data["email"], role=body.validated_data["role"])
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    @staticmethod
    def _target_tenant(request, tenant_id) -> Tenant | None:
        if settings.GATEWAY_OPEN_REGISTRATION:
            return Tenant.objects.filter(pk=tenant_id).first()
        # An admin may add users to their own tenant only; any other looks missing.
        own = request.auth.tenant
        return own if own.id == tenant_id else None
