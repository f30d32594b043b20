"""The base every tenant-scoped endpoint stands on, so no query can forget the tenant."""

import uuid

from django.db.models import QuerySet
from rest_framework import viewsets

from gateway_project.api_views import ApiViewMixin
from gateway_project.errors import NotFound
from tenants.api_access import HasRolePermission, TenantHeaderAuthentication, TenantRateThrottle
from tenants.models import Tenant


def tenant_object_or_404(queryset: QuerySet, raw_id: object, not_found: NotFound):
    """The object with this id in an already tenant-filtered queryset.

    A malformed id, a missing object and another tenant's object all raise the
    same `not_found`, so none can be told apart.
    """
    try:
        object_id = raw_id if isinstance(raw_id, uuid.UUID) else uuid.UUID(str(raw_id))
    except ValueError:
        raise not_found from None
    found = queryset.filter(pk=object_id).first()
    if found is None:
        raise not_found
    return found


class TenantScopedViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """Authenticates the tenant headers, checks the role table and filters every lookup by tenant.

    Subclasses set `queryset`, `required_permissions` and `not_found`; they may
    not override `get_queryset` or `get_object`.
    """

    authentication_classes = [TenantHeaderAuthentication]
    permission_classes = [HasRolePermission]
    throttle_classes = [TenantRateThrottle]
    required_permissions: dict = {}
    lookup_url_kwarg = "pk"

    _sealed = ("get_queryset", "get_object")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in cls._sealed:
            if name in cls.__dict__:
                raise TypeError(f"{cls.__name__} may not override {name}: tenant scoping lives in the base class")

    @property
    def tenant(self) -> Tenant:
        return self.request.auth.tenant

    def not_found(self, raw_id: object) -> NotFound:
        return NotFound(f"Object '{str(raw_id)[:100]}' not found")

    def get_queryset(self):
        return super().get_queryset().filter(tenant=self.tenant)

    def get_object(self):
        raw_id = self.kwargs[self.lookup_url_kwarg]
        return tenant_object_or_404(self.get_queryset(), raw_id, self.not_found(raw_id))
