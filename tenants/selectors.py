"""Reads of tenants that more than one place needs."""

from django.db.models import F, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

from tenants.models import Tenant


def tenant_named(*, name: str) -> Tenant | None:
    """A tenant whose name equals `name` ignoring case, as the database folds case (as forms.py does)."""
    return Tenant.objects.filter(Exact(Lower(F("name")), Lower(Value(name)))).order_by("created_at").first()
