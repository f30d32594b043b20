from django import forms

from kpis.models import KpiDefinition


class KpiDefinitionForm(forms.ModelForm):
    """Checks name uniqueness within the tenant, which Django skips when the tenant is read-only."""

    class Meta:
        model = KpiDefinition
        fields = ["tenant", "name", "unit", "description"]

    def clean(self):
        cleaned = super().clean()
        tenant_id = cleaned.get("tenant").pk if cleaned.get("tenant") else self.instance.tenant_id
        name = cleaned.get("name")
        if tenant_id and name:
            taken = KpiDefinition.objects.filter(tenant_id=tenant_id, name=name).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("name", "A KPI with this name already exists in this tenant.")
        return cleaned
