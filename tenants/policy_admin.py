"""The tenants' tool policies in the console: an operator enables or disables a tool for a tenant and may
replace the roles that may call it. Writes go through tenants.tool_policy, like the API's."""

from django import forms
from django.contrib import admin

from tenants.admin_filters import TenantFilter
from tenants.models import Role, ToolPolicy
from tenants.tool_policy import tool_policy_clear, tool_policy_set


def _tool_choices() -> list[tuple[str, str]]:
    from tools.providers import tool_list  # tools builds on tenants; importing it at module level would cycle

    return [(tool.name, tool.name) for tool in tool_list(tenant=None)]


class ToolPolicyForm(forms.ModelForm):
    tool_name = forms.ChoiceField(choices=_tool_choices)
    own_roles = forms.TypedChoiceField(
        label="Who may call it",
        choices=[(True, "The roles the tool itself names"), (False, "Only the roles ticked below")],
        coerce=lambda value: value in (True, "True"),
        widget=forms.RadioSelect,
        initial=True,
    )
    roles = forms.MultipleChoiceField(choices=Role.choices, required=False, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ToolPolicy
        fields = ["tenant", "tool_name", "enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["own_roles"] = self.instance.roles is None
            self.initial["roles"] = self.instance.roles or []

    def clean(self):
        from tools.providers import tool_resolve

        cleaned = super().clean()
        tenant, tool_name = cleaned.get("tenant"), cleaned.get("tool_name")
        if self.instance.pk or not (tenant and tool_name):
            return cleaned
        if tool_resolve(tenant=tenant, name=tool_name) is None:
            raise forms.ValidationError(f"Tenant {tenant.name} has no tool '{tool_name}'.")
        if ToolPolicy.objects.filter(tenant=tenant, tool_name=tool_name).exists():
            raise forms.ValidationError("This tenant already has a rule for this tool: change that one.")
        return cleaned


@admin.register(ToolPolicy)
class ToolPolicyAdmin(admin.ModelAdmin):
    form = ToolPolicyForm
    list_display = ["tool_name", "tenant", "enabled", "who_may_call", "updated_at"]
    list_filter = [("tenant", TenantFilter), "enabled"]
    search_fields = ["tool_name", "tenant__name"]
    list_select_related = ["tenant"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return ["tenant", "tool_name"] if obj else []

    @admin.display(description="who may call it")
    def who_may_call(self, policy: ToolPolicy) -> str:
        return "the tool's own roles" if policy.roles is None else (", ".join(policy.roles) or "nobody")

    def save_model(self, request, obj, form, change):
        # The form offered only known tools and roles, so the service's own checks pass.
        roles = None if form.cleaned_data["own_roles"] else list(form.cleaned_data["roles"])
        saved = tool_policy_set(tenant=obj.tenant, tool_name=obj.tool_name, enabled=obj.enabled, roles=roles)
        obj.pk, obj.roles, obj.updated_at = saved.pk, saved.roles, saved.updated_at

    def delete_model(self, request, obj):
        tool_policy_clear(tenant=obj.tenant, tool_name=obj.tool_name)

    def delete_queryset(self, request, queryset):
        for policy in queryset.select_related("tenant"):
            tool_policy_clear(tenant=policy.tenant, tool_name=policy.tool_name)
