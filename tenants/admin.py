from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditLog, UsageEvent
from audit.selectors import UsageTotals, usage_totals
from kpis.models import KpiDefinition
from tenants.api_keys import api_key_digest, api_key_generate
from tenants.forms import TenantUserForm, UniqueWithinTenantFormSet
from tenants.models import Tenant, TenantUser
from tenants.services import tenant_api_key_rotate


def _count_of(model, **filters):
    counted = model.objects.filter(tenant=OuterRef("pk"), **filters).values("tenant").annotate(n=Count("pk"))
    return Coalesce(Subquery(counted.values("n"), output_field=IntegerField()), 0)


HUB_USAGE_DAYS = 30
# The query string Django's related-field list filter reads: the hub's links open each list filtered by it.
TENANT_LOOKUP = "tenant__id__exact"


@dataclass(frozen=True)
class HubLink:
    label: str
    url: str


@dataclass(frozen=True)
class TenantHub:
    """What a tenant's change page shows of it beyond its own fields: where its rows are, and its usage."""

    links: list[HubLink]
    usage: UsageTotals | None  # None for staff who may not read the usage ledger
    usage_days: int


def tenant_hub(request, admin_site, tenant: Tenant) -> TenantHub:
    """Links to the tenant's dashboard and lists (those the staff member may open) and its recent usage.

    One query at most (the usage totals), however many rows, tools or users the tenant has.
    """

    def may_view(model) -> bool:
        return admin_site.is_registered(model) and admin_site.get_model_admin(model).has_view_permission(request)

    def filtered(url_name: str, **query) -> str:
        return f"{reverse(url_name)}?{urlencode(query)}"

    by_tenant = {TENANT_LOOKUP: str(tenant.pk)}
    candidates = [
        ("Dashboard", "admin-dashboard", request.user.has_perm("audit.view_auditlog"), {"tenant": str(tenant.pk)}),
        ("Audit log", "admin:audit_auditlog_changelist", may_view(AuditLog), by_tenant),
        ("Usage", "admin:audit_usageevent_changelist", may_view(UsageEvent), by_tenant),
        ("KPIs", "admin:kpis_kpidefinition_changelist", may_view(KpiDefinition), by_tenant),
        ("Users", "admin:tenants_tenantuser_changelist", may_view(TenantUser), by_tenant),
    ]
    links = [HubLink(label, filtered(url_name, **query)) for label, url_name, allowed, query in candidates if allowed]
    usage = None
    if may_view(UsageEvent):
        usage = usage_totals(tenant=tenant, since=timezone.now() - timedelta(days=HUB_USAGE_DAYS))
    return TenantHub(links=links, usage=usage, usage_days=HUB_USAGE_DAYS)


def api_keys_page(request, admin_site, issued: list[tuple[Tenant, str]], title: str):
    """The one page that ever shows API keys: rendered, never stored in a message or the session."""
    context = {**admin_site.each_context(request), "title": title, "issued": issued}
    response = TemplateResponse(request, "admin/tenants/api_keys_issued.html", context)
    response["Cache-Control"] = "no-store"
    return response


def confirmed(request) -> bool:
    """Whether an action's confirmation page was answered, as Django's delete_selected asks it."""
    return request.POST.get("post") == "yes"


def confirmation_page(request, admin_site, tenants, *, action: str, title: str, consequence: str, button: str):
    """The page that lists the tenants an irreversible action would touch; its form repeats the action with
    post=yes. Nothing has changed when it is shown."""
    context = {
        **admin_site.each_context(request),
        "title": title,
        "tenants": list(tenants),
        "action": action,
        "consequence": consequence,
        "button": button,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/tenants/confirm_action.html", context)


class TenantUserInline(admin.TabularInline):
    model = TenantUser
    form = TenantUserForm
    formset = UniqueWithinTenantFormSet
    fields = ["email", "role", "id", "created_at"]
    readonly_fields = ["id", "created_at"]
    extra = 0
    show_change_link = True

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "id", "region", "user_count", "kpi_count", "created_at"]
    search_fields = ["name", "=id"]
    list_filter = ["region"]
    fields = ["id", "name", "region", "created_at", "rate_limit_per_minute", "user_rate_limit_per_minute",
              "tool_rate_limit_per_minute"]  # fmt: skip
    readonly_fields = ["id", "created_at"]
    inlines = [TenantUserInline]
    actions = ["rotate_api_keys"]
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None):
        return False  # the audit trail and the usage ledger point at tenants forever

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(user_count=_count_of(TenantUser), kpi_count=_count_of(KpiDefinition))
        )

    @admin.display(description="users", ordering="user_count")
    def user_count(self, tenant: Tenant) -> int:
        return tenant.user_count

    @admin.display(description="KPIs", ordering="kpi_count")
    def kpi_count(self, tenant: Tenant) -> int:
        return tenant.kpi_count

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None:
            context["hub"] = tenant_hub(request, self.admin_site, obj)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def save_model(self, request, tenant, form, change):
        if not change:
            # A tenant added here gets its key like any other; response_add shows it once.
            request._issued_api_key = api_key_generate()
            tenant.api_key_digest = api_key_digest(request._issued_api_key)
        super().save_model(request, tenant, form, change)

    def response_add(self, request, tenant, post_url_continue=None):
        return api_keys_page(request, self.admin_site, [(tenant, request._issued_api_key)], "Tenant created")

    @admin.action(
        description="Rotate the API key of the selected tenants (old keys stop working at once)",
        permissions=["change"],  # a key is a tenant's credential: viewing tenants is not enough
    )
    def rotate_api_keys(self, request, queryset):
        if not confirmed(request):
            return confirmation_page(
                request, self.admin_site, queryset, action="rotate_api_keys", title="Rotate API keys?",
                consequence="Each tenant below gets a new API key, shown once on the next page. Its current key "
                "stops working at once: every client using it gets 401 until it is given the new one.",
                button="Yes, rotate these keys",
            )  # fmt: skip
        issued = [(tenant, tenant_api_key_rotate(tenant=tenant)) for tenant in queryset]
        for tenant, _ in issued:
            self.log_change(request, tenant, "Rotated the API key.")
        self.message_user(request, f"Rotated {len(issued)} API key(s).")
        return api_keys_page(request, self.admin_site, issued, "New API keys")


@admin.register(TenantUser)
class TenantUserAdmin(admin.ModelAdmin):
    form = TenantUserForm
    list_display = ["email", "role", "tenant", "id", "created_at"]
    list_filter = ["role", "tenant"]
    search_fields = ["email", "=id"]
    list_select_related = ["tenant"]
    autocomplete_fields = ["tenant"]
    readonly_fields = ["id", "created_at"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        # A user's audit rows and keys stay in their tenant; so does the user.
        return [*self.readonly_fields, "tenant"] if obj else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # audit and usage rows name their user
