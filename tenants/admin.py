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
from audit.selectors import UsageGroupBy, UsageSummary, usage_summary
from gateway_project.admin_site import utc_timestamp
from kpis.models import KpiDefinition
from tenants.admin_filters import SuspendedFilter, TenantFilter
from tenants.forms import TenantForm, TenantUserForm, UniqueWithinTenantFormSet
from tenants.models import Tenant, TenantLimits, TenantUser
from tenants.services import (
    tenant_api_key_rotate,
    tenant_create,
    tenant_limits_update,
    tenant_reinstate,
    tenant_suspend,
)


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
    usage: UsageSummary | None  # by tool; None for staff who may not read the usage ledger
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
        since = timezone.now() - timedelta(days=HUB_USAGE_DAYS)
        usage = usage_summary(tenant=tenant, since=since, until=None, group_by=UsageGroupBy.TOOL)
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


def confirmation_page(
    request, admin_site, tenants, *, action: str, title: str, consequence: str, button: str, ask_reason: bool = False
):
    """The page that lists the tenants an irreversible action would touch; its form repeats the action with
    post=yes (and, if asked for, a reason). Nothing has changed when it is shown."""
    context = {
        **admin_site.each_context(request),
        "title": title,
        "tenants": list(tenants),
        "action": action,
        "consequence": consequence,
        "button": button,
        "ask_reason": ask_reason,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/tenants/confirm_action.html", context)


def _shown_limit(name: str):
    """A limit as a page that cannot change it shows it; a page that can shows TenantForm's field of the name."""

    @admin.display(description=TenantLimits._meta.get_field(name).verbose_name)
    def shown(model_admin, tenant: Tenant):
        value = getattr(tenant.own_limits, name)
        return model_admin.get_empty_value_display() if value is None else value

    return shown


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
    form = TenantForm
    list_display = ["name", "id", "region", "user_count", "kpi_count", "created_at_utc", "suspended"]
    search_fields = ["name", "=id"]
    list_filter = [SuspendedFilter, "region"]
    # The limits are TenantForm's fields, kept in the tenant's TenantLimits row.
    fields = ["id", "name", "region", "created_at", "suspended_at", "suspension_reason", *TenantForm.limit_fields]
    # Suspension changes only through its actions, which confirm it and log it.
    readonly_fields = ["id", "created_at", "suspended_at", "suspension_reason"]
    inlines = [TenantUserInline]
    actions = ["rotate_api_keys", "suspend_tenants", "reinstate_tenants"]
    show_full_result_count = False
    created_at_utc = utc_timestamp("created_at", "created")
    # Read-only, the limits are no form fields: the admin looks them up here by name.
    rate_limit_per_minute = _shown_limit("rate_limit_per_minute")
    user_rate_limit_per_minute = _shown_limit("user_rate_limit_per_minute")
    tool_rate_limit_per_minute = _shown_limit("tool_rate_limit_per_minute")

    def has_delete_permission(self, request, obj=None):
        return False  # the audit trail and the usage ledger point at tenants forever

    def get_queryset(self, request):
        # Its limits in the same query: the change form shows them.
        return (
            super()
            .get_queryset(request)
            .select_related("limits")
            .annotate(user_count=_count_of(TenantUser), kpi_count=_count_of(KpiDefinition))
        )

    @admin.display(description="users", ordering="user_count")
    def user_count(self, tenant: Tenant) -> int:
        return tenant.user_count

    @admin.display(description="KPIs", ordering="kpi_count")
    def kpi_count(self, tenant: Tenant) -> int:
        return tenant.kpi_count

    @admin.display(description="suspended since (UTC)", ordering="suspended_at", empty_value="")
    def suspended(self, tenant: Tenant):
        return tenant.suspended_at

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None:
            context["hub"] = tenant_hub(request, self.admin_site, obj)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def save_model(self, request, tenant, form, change):
        if change:
            super().save_model(request, tenant, form, change)
            if form.limits_changed:
                tenant_limits_update(tenant=tenant, **form.limits)
            return
        # A tenant added here is created like any other, key, limits and all; response_add shows the key once.
        created, request._issued_api_key = tenant_create(name=tenant.name, region=tenant.region, **form.limits)
        # The form's instance becomes the created row: its inline users, the admin log and the answer use it.
        tenant.__dict__.update(created.__dict__)

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

    @admin.action(
        description="Suspend the selected tenants (their API calls are refused; nothing is deleted)",
        permissions=["change"],
    )
    def suspend_tenants(self, request, queryset):
        if not confirmed(request):
            return confirmation_page(
                request, self.admin_site, queryset, action="suspend_tenants", title="Suspend tenants?",
                consequence="Every API call of each tenant below is refused with 403 tenant_suspended, and audited, "
                "until it is reinstated. Its users, KPIs, audit trail and usage stay as they are.",
                button="Yes, suspend these tenants", ask_reason=True,
            )  # fmt: skip
        suspended = [
            tenant for tenant in queryset if tenant_suspend(tenant=tenant, reason=request.POST.get("reason", ""))
        ]
        for tenant in suspended:
            reason = tenant.suspension_reason
            self.log_change(request, tenant, f"Suspended: {reason}" if reason else "Suspended.")
        self.message_user(request, _done("Suspended", len(suspended), len(queryset), "already suspended"))

    @admin.action(
        description="Reinstate the selected tenants (their API calls are served again)", permissions=["change"]
    )
    def reinstate_tenants(self, request, queryset):
        if not confirmed(request):
            return confirmation_page(
                request, self.admin_site, queryset, action="reinstate_tenants", title="Reinstate tenants?",
                consequence="Each tenant below is served again at once, with the API key it had.",
                button="Yes, reinstate these tenants",
            )  # fmt: skip
        reinstated = [tenant for tenant in queryset if tenant_reinstate(tenant=tenant)]
        for tenant in reinstated:
            self.log_change(request, tenant, "Reinstated.")
        self.message_user(request, _done("Reinstated", len(reinstated), len(queryset), "not suspended"))


def _done(verb: str, changed: int, selected: int, unchanged_because: str) -> str:
    unchanged = selected - changed
    return f"{verb} {changed} tenant(s)." + (
        f" {unchanged} {unchanged_because}: left as they were." if unchanged else ""
    )


@admin.register(TenantUser)
class TenantUserAdmin(admin.ModelAdmin):
    form = TenantUserForm
    list_display = ["email", "role", "tenant", "id", "created_at_utc"]
    list_filter = ["role", ("tenant", TenantFilter)]
    search_fields = ["email", "=id"]
    list_select_related = ["tenant"]
    autocomplete_fields = ["tenant"]
    readonly_fields = ["id", "created_at"]
    show_full_result_count = False
    created_at_utc = utc_timestamp("created_at", "created")

    def get_readonly_fields(self, request, obj=None):
        # A user's audit rows and keys stay in their tenant; so does the user.
        return [*self.readonly_fields, "tenant"] if obj else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # audit and usage rows name their user
