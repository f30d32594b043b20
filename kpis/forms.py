from kpis.models import KpiDefinition
from tenants.forms import UniqueWithinTenantForm


class KpiDefinitionForm(UniqueWithinTenantForm):
    unique_field, unique_lookup = "name", "name"
    unique_message = "A KPI with this name already exists in this tenant."

    class Meta:
        model = KpiDefinition
        fields = ["tenant", "name", "unit", "description"]
