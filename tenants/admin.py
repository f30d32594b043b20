from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from audit.models import AuditLog, UsageEvent
from audit.selectors import UsageGroupBy, UsageSummary, usage_summary
from gateway_project.admin_site import shortened, utc_timestamp
from gateway_project.errors import Conflict, ValidationFailed
from kpis.models import KpiDefinition
from tenants.admin_filters import KeyStatus, KeyStatusFilter, SuspendedFilter, TenantFilter, key_status, uuids
from tenants.api_keys import PRINCIPAL_KEY_PREFIX
from tenants.forms import (
    KeyRotationForm,
    PrincipalKeyCreateForm,
    TenantForm,
    TenantUserForm,
    UniqueWithinTenantFormSet,
)
from tenants.models import PrincipalKey, Tenant, TenantLimits, TenantUser
from tenants.principal_keys import principal_key_create, principal_key_revoke, principal_key_rotate
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
        ("API keys", "admin:tenants_principalkey_changelist", may_view(PrincipalKey), by_tenant),
    ]
    links = [HubLink(label, filtered(url_name, **query)) for label, url_name, allowed, query in candidates if allowed]
    usage = None
    if may_view(UsageEvent):
        since = timezone.now() - timedelta(days=HUB_USAGE_DAYS)
        usage = usage_summary(tenant=tenant, since=since, until=None, group_by=UsageGroupBy.TOOL)
    return TenantHub(links=links, usage=usage, usage_days=HUB_USAGE_DAYS)


def secret_page(request, template: str, context: dict) -> TemplateResponse:
    """A page that shows a key's secret, as the answer to the POST that minted it: the only place the secret is
    ever shown. It is rendered, never stored (in a message, the session or the admin log), and no cache keeps it."""
    response = TemplateResponse(request, template, context)
    response["Cache-Control"] = "no-store"
    return response


def api_keys_page(request, admin_site, issued: list[tuple[Tenant, str]], title: str):
    """Tenant API keys just minted, shown once."""
    context = {**admin_site.each_context(request), "title": title, "issued": issued}
    return secret_page(request, "admin/tenants/api_keys_issued.html", context)


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
    fields = ["id", "name", "region", "service_key_acts_as_users", "created_at", "suspended_at", "suspension_reason",
              *TenantForm.limit_fields]  # fmt: skip
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

    def get_fields(self, request, obj=None):
        # tenant_create makes a tenant whose key acts as its users (it has no principal keys yet to act with);
        # the change page switches that off once its callers have keys.
        fields = super().get_fields(request, obj)
        return fields if obj else [name for name in fields if name != "service_key_acts_as_users"]

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
        self.message_user(request, _done("Suspended", "tenant", len(suspended), len(queryset), "already suspended"))

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
        self.message_user(request, _done("Reinstated", "tenant", len(reinstated), len(queryset), "not suspended"))


def _done(verb: str, noun: str, changed: int, selected: int, unchanged_because: str) -> str:
    unchanged = selected - changed
    return f"{verb} {changed} {noun}(s)." + (
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


KEY_STATUS_COLOURS = {
    KeyStatus.ACTIVE: "#2e7d32",
    KeyStatus.ROTATED: "#b26a00",
    KeyStatus.EXPIRED: "#757575",
    KeyStatus.REVOKED: "#c62828",
}
KEY_ADD_PREFILLED = ("tenant", "user")  # ?tenant=<id>&user=<id> opens the add page with them chosen


def _compact_timestamp(field_name: str, label: str, shown_as: str, *, empty: str):
    """A list column of a timestamp in `shown_as` (a format name), the whole one on hover. The key list has three
    timestamps: at full length, and headed "(UTC)" as the console's single timestamp columns are, they pushed the
    last column off a 1366-px screen. Every page's header says its times are UTC; so does each hover."""

    @admin.display(description=label, ordering=field_name, empty_value=empty)
    def column(model_admin, row):
        moment = getattr(row, field_name)
        if moment is None:
            return None
        whole = f"{date_format(moment, 'DATETIME_FORMAT')} UTC"
        return format_html('<span title="{}">{}</span>', whole, date_format(moment, shown_as))

    return column


@admin.register(PrincipalKey)
class PrincipalKeyAdmin(admin.ModelAdmin):
    """Keys are minted here (principal_key_create), revoked (an action, confirmed first) and rotated (a button on the
    key's page); their secret is shown once, on the page answering the POST that minted it. Only the label changes
    otherwise; nothing is deleted: the audit trail names keys by their prefix."""

    # Status beside the key: it is what an operator scans the list for.
    list_display = ["key_prefix", "status_badge", "label_cut", "tenant_name", "user_email", "created_on", "expires",
                    "last_used"]  # fmt: skip
    list_display_links = ["key_prefix", "label_cut"]
    list_filter = [("tenant", TenantFilter), KeyStatusFilter]
    search_fields = ["label", "public_id", "user__email"]
    search_help_text = "Label, key prefix (gwp_…) or user email (any part)."
    list_select_related = ["tenant", "user"]
    show_full_result_count = False
    # The detail page shows the timestamps as the fields they are, formatted as every console page formats them.
    fields = ["key_prefix", "label", "tenant", "user", "status_badge", "scope", "created_at", "expires_at",
              "last_used_at", "revoked_at", "rotated_from", "successor"]  # fmt: skip
    readonly_fields = [name for name in fields if name != "label"]
    actions = ["revoke_keys"]
    created_on = _compact_timestamp("created_at", "created", "SHORT_DATE_FORMAT", empty="")
    expires = _compact_timestamp("expires_at", "expires", "SHORT_DATETIME_FORMAT", empty="never")
    # The day tells a stale key; the hour is on hover and on the key's page. Expiry keeps its hour: grace periods.
    last_used = _compact_timestamp("last_used_at", "last used", "SHORT_DATE_FORMAT", empty="never")

    def get_urls(self):
        own = [
            path("<path:object_id>/rotate/", self.admin_site.admin_view(self.rotate_view),
                 name="tenants_principalkey_rotate"),
            path("<path:object_id>/revoke/", self.admin_site.admin_view(self.revoke_view),
                 name="tenants_principalkey_revoke"),
        ]  # fmt: skip
        return own + super().get_urls()  # first: Django's "<id>/" would take "<id>/rotate/" as an id

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(status=key_status(timezone.now()))

    def get_search_results(self, request, queryset, search_term):
        # A prefix is searched as the public id it carries.
        term = " ".join(word.removeprefix(PRINCIPAL_KEY_PREFIX) for word in search_term.split())
        return super().get_search_results(request, queryset, term)

    def has_delete_permission(self, request, obj=None):
        return False  # the audit trail names keys; revoking is how a key ends

    @admin.display(description="key", ordering="public_id")
    def key_prefix(self, key: PrincipalKey):
        return format_html("<code>{}</code>", key.prefix)

    @admin.display(description="label", ordering="label")
    def label_cut(self, key: PrincipalKey) -> str:
        return shortened(key.label, 13)

    @admin.display(description="tenant", ordering="tenant__name")
    def tenant_name(self, key: PrincipalKey) -> str:
        return shortened(key.tenant.name, 11)

    @admin.display(description="user", ordering="user__email")
    def user_email(self, key: PrincipalKey) -> str:
        return shortened(key.user.email, 16)

    @admin.display(description="status", ordering="status")
    def status_badge(self, key: PrincipalKey):
        status = KeyStatus(key.status)
        return format_html('<strong style="color: {}">{}</strong>', KEY_STATUS_COLOURS[status], status.label)

    @admin.display(description="tools")
    def scope(self, key: PrincipalKey) -> str:
        if key.tools is None:
            return "Every tool its user's role may call"
        return ", ".join(key.tools) or "None"

    @admin.display(description="rotated to")
    def successor(self, key: PrincipalKey):
        try:
            successor = key.rotated_to
        except PrincipalKey.DoesNotExist:
            return self.get_empty_value_display()
        url = reverse("admin:tenants_principalkey_change", args=[successor.pk])
        return format_html('<a href="{}">{}</a>', url, successor)

    def save_model(self, request, key, form, change):
        # The label is the one field this page changes; rotation or revocation may have changed the row meanwhile.
        key.save(update_fields=["label"])

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Keys are added one at a time, each answered by its secret: not from a key's page.
        extra_context = {**(extra_context or {}), "show_save_and_add_another": False}
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None and self.has_change_permission(request, obj):
            status = KeyStatus(obj.status)
            context["key_tools"] = {
                "rotate_url": reverse("admin:tenants_principalkey_rotate", args=[obj.pk])
                if status == KeyStatus.ACTIVE
                else None,
                "revoke_url": reverse("admin:tenants_principalkey_revoke", args=[obj.pk])
                if status != KeyStatus.REVOKED
                else None,
            }
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    # Adding: Django's add page, with a form that principal_key_create answers.

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        posted = request.POST if request.method == "POST" else None
        form = PrincipalKeyCreateForm(posted, initial=self._add_initial(request), admin_site=self.admin_site)
        if form.is_bound and form.is_valid():
            try:
                key, secret = principal_key_create(**form.service_arguments())
            except ValidationFailed as refusal:
                form.add_service_errors(refusal.errors)
            else:
                self.log_addition(request, key, [{"added": {}}])
                return self.key_issued_page(request, key, secret, title="Principal key created")
        adminform = helpers.AdminForm(form, [(None, {"fields": list(form.fields)})], {}, model_admin=self)
        context = {
            **self.admin_site.each_context(request),
            "title": "Add principal key",
            "subtitle": None,
            "adminform": adminform,
            "object_id": None,
            "original": None,
            "is_popup": False,
            "to_field": None,
            "media": self.media + adminform.media,
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(form, []),
            "preserved_filters": self.get_preserved_filters(request),
            # One key per POST: the next page shows its secret, and nothing else may be in between.
            "show_save_and_add_another": False,
            "show_save_and_continue": False,
        }
        return self.render_change_form(request, context, add=True, form_url=form_url)

    def _add_initial(self, request) -> dict[str, str]:
        """The tenant and user to start from: named in the query, or the tenant the key list was filtered by."""
        asked = {name: request.GET.get(name, "") for name in KEY_ADD_PREFILLED}
        filtered_by = QueryDict(request.GET.get("_changelist_filters", "")).get(TENANT_LOOKUP, "")
        asked["tenant"] = asked["tenant"] or filtered_by
        # Only ids: the choosers look the values up, and a malformed one would be a database error.
        return {name: value for name, value in asked.items() if uuids([value])}

    def key_issued_page(self, request, key: PrincipalKey, secret: str, *, title: str, replaced=None):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "key": key,
            "secret": secret,
            "replaced": replaced,
        }
        return secret_page(request, "admin/tenants/principalkey/issued.html", context)

    # Revoking: an action on the list, confirmed first; a key's page links to its confirmation.

    @admin.action(
        description="Revoke the selected keys (refused at once, on every server; cannot be undone)",
        permissions=["change"],
    )
    def revoke_keys(self, request, queryset):
        if not confirmed(request):
            return self.revoke_confirmation(request, queryset)
        revoked = [key for key in queryset if principal_key_revoke(key=key)]
        for key in revoked:
            self.log_change(request, key, "Revoked.")
        self.message_user(request, _done("Revoked", "key", len(revoked), len(queryset), "already revoked"))

    def revoke_view(self, request, object_id):
        key = self.get_object(request, object_id)
        if key is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, key):
            raise PermissionDenied
        return self.revoke_confirmation(request, [key])

    def revoke_confirmation(self, request, keys):
        """The keys a revocation would end; its form posts the action again with post=yes. Nothing changed yet."""
        context = {
            **self.admin_site.each_context(request),
            "title": "Revoke principal keys?",
            "opts": self.opts,
            "keys": list(keys),
            "action_url": reverse("admin:tenants_principalkey_changelist"),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/tenants/principalkey/confirm_revoke.html", context)

    # Rotating: a key's page links here; the successor's secret is shown once, the old key works for the grace.

    def rotate_view(self, request, object_id):
        key = self.get_object(request, object_id)
        if key is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, key):
            raise PermissionDenied
        change_url = reverse("admin:tenants_principalkey_change", args=[key.pk])
        if key.status != KeyStatus.ACTIVE:
            self.message_user(request, _not_rotatable(key), messages.ERROR)
            return HttpResponseRedirect(change_url)
        form = KeyRotationForm(
            request.POST if request.method == "POST" else None, initial=KeyRotationForm.default_initial()
        )
        if form.is_bound and form.is_valid():
            try:
                successor, secret = principal_key_rotate(key=key, grace_seconds=form.cleaned_data["grace_seconds"])
            except (Conflict, ValidationFailed) as refusal:
                self.message_user(request, refusal.detail, messages.ERROR)
                return HttpResponseRedirect(change_url)
            self.log_change(
                request,
                key,
                f"Rotated: replaced by {successor.prefix}, works until {key.expires_at:%Y-%m-%d %H:%M:%S} UTC.",
            )
            self.log_addition(request, successor, f"Added as the successor of {key.prefix}.")
            return self.key_issued_page(request, successor, secret, title="Principal key rotated", replaced=key)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Rotate {key.prefix}?",
            "opts": self.opts,
            "key": key,
            "form": form,
            "change_url": change_url,
            "max_grace_seconds": KeyRotationForm.max_grace_seconds(),
        }
        return TemplateResponse(request, "admin/tenants/principalkey/rotate.html", context)


def _not_rotatable(key: PrincipalKey) -> str:
    if key.status == KeyStatus.ROTATED:
        return f"{key.prefix} was rotated already: rotate its successor instead."
    return f"{key.prefix} is {key.status}: mint a new key instead."


from tenants import policy_admin  # noqa: E402,F401  registers the tool policies' admin
