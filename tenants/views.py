from django.conf import settings
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from gateway_project.api_views import ApiViewMixin
from gateway_project.errors import Forbidden, NotFound
from tenants.api_access import HasRolePermission, TenantHeaderAuthentication, TenantRateThrottle
from tenants.api_docs import (
    key_create_docs,
    key_list_docs,
    key_retrieve_docs,
    key_revoke_docs,
    key_rotate_docs,
    tenant_create_docs,
    user_create_docs,
)
from tenants.context import TenantSuspended
from tenants.models import PrincipalKey, Tenant, TenantUser
from tenants.permissions import Permission, Requirement
from tenants.principal_keys import principal_key_create, principal_key_revoke, principal_key_rotate
from tenants.scoping import TenantScopedViewSet
from tenants.secrets import carries_secret
from tenants.serializers import (
    PrincipalKeyCreatedSerializer,
    PrincipalKeyCreateSerializer,
    PrincipalKeyRotateSerializer,
    PrincipalKeySerializer,
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
    administering_actions = ("create",)

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


class PrincipalKeyViewSet(TenantScopedViewSet):
    """/v1/keys: a tenant admin mints, lists, revokes and rotates the keys of the tenant's users."""

    queryset = PrincipalKey.objects.all()
    lookup_url_kwarg = "key_id"
    required_permissions = dict.fromkeys(("list", "retrieve", "create", "revoke", "rotate"), Permission.KEYS_WRITE)
    # Managing keys is administering: the tenant key may do it even where it may not act as users.
    administering_actions = ("list", "retrieve", "create", "revoke", "rotate")

    def not_found(self, raw_id: object) -> NotFound:
        return NotFound(f"Key '{str(raw_id)[:100]}' not found", code="key_not_found")

    @key_list_docs
    def list(self, request):
        return Response(PrincipalKeySerializer(self.get_queryset().order_by("-created_at", "id"), many=True).data)

    @key_retrieve_docs
    def retrieve(self, request, key_id: str):
        return Response(PrincipalKeySerializer(self.get_object()).data)

    @key_create_docs
    @carries_secret
    def create(self, request):
        body = PrincipalKeyCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = body.validated_data
        user = TenantUser.objects.filter(tenant=self.tenant, pk=fields["user_id"]).first()
        if user is None:
            raise NotFound(f"User '{fields['user_id']}' not found", code="user_not_found")
        key, secret = principal_key_create(
            tenant=self.tenant, user=user, label=fields["label"], expires_at=fields["expires_at"], tools=fields["tools"]
        )
        created = PrincipalKeyCreatedSerializer(key, context={"secret": secret})
        return Response(created.data, status=status.HTTP_201_CREATED)

    @key_revoke_docs
    @action(detail=True, methods=["post"])
    def revoke(self, request, key_id: str):
        key = self.get_object()
        principal_key_revoke(key=key)
        return Response(PrincipalKeySerializer(key).data)

    @key_rotate_docs
    @action(detail=True, methods=["post"])
    @carries_secret
    def rotate(self, request, key_id: str):
        body = PrincipalKeyRotateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        successor, secret = principal_key_rotate(
            key=self.get_object(), grace_seconds=body.validated_data["grace_seconds"]
        )
        created = PrincipalKeyCreatedSerializer(successor, context={"secret": secret})
        return Response(created.data, status=status.HTTP_201_CREATED)
