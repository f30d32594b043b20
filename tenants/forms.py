from django import forms

from tenants.models import TenantUser


class UniqueWithinTenantForm(forms.ModelForm):
    """Checks that one field is unique within the tenant, which Django's own unique
    check skips when the tenant field is read-only (an inline, or a change page)."""

    unique_field: str
    unique_lookup: str  # e.g. "email__iexact"
    unique_message: str

    def clean(self):
        cleaned = super().clean()
        tenant_id = cleaned.get("tenant").pk if cleaned.get("tenant") else self.instance.tenant_id
        value = cleaned.get(self.unique_field)
        if tenant_id and value:
            taken = self._meta.model.objects.filter(tenant_id=tenant_id, **{self.unique_lookup: value})
            if taken.exclude(pk=self.instance.pk).exists():
                self.add_error(self.unique_field, self.unique_message)
        return cleaned


class TenantUserForm(UniqueWithinTenantForm):
    unique_field, unique_lookup = "email", "email__iexact"
    unique_message = "A user with this email already exists in this tenant."

    class Meta:
        model = TenantUser
        fields = ["tenant", "email", "role"]
