from django import forms

from tenants.models import TenantUser


class TenantUserForm(forms.ModelForm):
    """Checks the case-insensitive email uniqueness Django skips when the tenant is read-only."""

    class Meta:
        model = TenantUser
        fields = ["tenant", "email", "role"]

    def clean(self):
        cleaned = super().clean()
        tenant_id = cleaned.get("tenant").pk if cleaned.get("tenant") else self.instance.tenant_id
        email = cleaned.get("email")
        if tenant_id and email:
            taken = TenantUser.objects.filter(tenant_id=tenant_id, email__iexact=email).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("email", "A user with this email already exists in this tenant.")
        return cleaned
