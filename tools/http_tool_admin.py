"""HTTP tools in the console: operators register and change them, and try one with a real call upstream.

Every rule of a definition is tools.http_tools's: the form runs its `definition_check` and shows each
problem on the field it names, and the admin writes through `http_tool_create`/`http_tool_update`.
The test call (tools.upstream.http_tool_trial) sends the real request, as a tenant the tool reaches,
and shows what left (secrets masked) and what came back; the tool's history records that it ran.
"""

import uuid

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from gateway_project.admin_site import shortened, utc_timestamp
from gateway_project.errors import ValidationFailed
from tenants.admin_filters import TenantFilter
from tenants.models import Tenant
from tools.http_tool_forms import JSON_ROWS, HttpToolForm, TrialForm, json_text
from tools.http_tools import http_tool_create, http_tool_delete, http_tool_update, retry_safe
from tools.models import HttpMethod, HttpTool
from tools.upstream import http_tool_trial


class WriteRefused(Exception):
    """The service refused a definition the form had passed: a name taken meanwhile, the tenant's limit."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(errors)


class MethodFilter(admin.SimpleListFilter):
    """The methods as HTTP spells them (the field's labels say "Get")."""

    title = "method"
    parameter_name = "method"

    def lookups(self, request, model_admin):
        return [(method, method) for method in HttpMethod.values]

    def queryset(self, request, queryset):
        return queryset.filter(method=self.value()) if self.value() in HttpMethod.values else queryset


class OwnerFilter(admin.SimpleListFilter):
    title = "owner"
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        return [("operator", "The operator"), ("tenant", "A tenant")]

    def queryset(self, request, queryset):
        if self.value() == "operator":
            return queryset.filter(tenant__isnull=True)
        if self.value() == "tenant":
            return queryset.filter(tenant__isnull=False)
        return queryset


def _json_shown(name: str):
    """A JSON field as the page of someone who may only look shows it: indented, as the change page does."""
    label = HttpToolForm.Meta.labels.get(name) or HttpTool._meta.get_field(name).verbose_name

    @admin.display(description=label)
    def shown(model_admin, tool: HttpTool):
        return format_html('<pre class="gateway-json-shown">{}</pre>', json_text(getattr(tool, name)))

    shown.__name__ = f"{name}_shown"
    return shown


def _offer_count():
    offers = HttpTool.offered_to.through.objects.filter(httptool=OuterRef("pk"))
    counted = offers.values("httptool").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


@admin.register(HttpTool)
class HttpToolAdmin(admin.ModelAdmin):
    form = HttpToolForm
    list_display = ["name_cut", "owner", "http_method", "url_cut", "enabled", "offered"]
    list_display_links = ["name_cut"]
    list_filter = [OwnerFilter, ("tenant", TenantFilter), MethodFilter, "enabled"]
    search_fields = ["name", "url_template"]
    search_help_text = "Tool name or URL template (any part)."
    list_select_related = ["tenant"]
    autocomplete_fields = ["tenant", "offered_to"]
    show_full_result_count = False
    created_at_utc = utc_timestamp("created_at", "created")
    updated_at_utc = utc_timestamp("updated_at", "updated")
    input_schema_shown = _json_shown("input_schema")
    query_params_shown = _json_shown("query_params")
    static_headers_shown = _json_shown("static_headers")
    credentials_shown = _json_shown("credentials")
    roles_shown = _json_shown("roles")

    def get_fieldsets(self, request, obj=None):
        offers = obj is None or obj.tenant_id is None  # a tenant's tool is offered to no one else
        owner_fields = ["owned_by", "created_at_utc", "updated_at_utc"] if obj else ["tenant"]
        fieldsets = [
            (None, {"fields": [*owner_fields, "name", "description", "enabled"]}),
            ("Payload", {"fields": ["input_schema"]}),
            ("Request upstream", {"fields": ["method", "url_template", "query_params", "body_field",
                                             "static_headers", "credentials", "idempotency_header"]}),
            ("Callers", {"fields": ["roles", "units"]}),
            *([("Offered to tenants", {
                "fields": ["offered_to_all", "offered_to"],
                "description": "Only an operator's tool (no tenant above) is offered: to every tenant, or to "
                "the tenants chosen here.",
            })] if offers else []),
            ("Limits", {"classes": ["collapse"], "fields": ["connect_timeout_seconds", "read_timeout_seconds",
                                                             "total_timeout_seconds", "max_response_bytes"]}),
        ]  # fmt: skip
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Who may only look sees the JSON indented, as the change page shows it, and the method as HTTP spells it.
        shown = {name: f"{name}_shown" for name in JSON_ROWS} | {"method": "http_method"}
        return [(title, {**options, "fields": [shown.get(name, name) for name in options["fields"]]})
                for title, options in fieldsets]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        return ["owned_by", "created_at_utc", "updated_at_utc"] if obj else []

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(offer_count=_offer_count())

    # The list: what an operator scans, cut to fit a 1366-px screen (the whole value on hover).

    @admin.display(description="name", ordering="name")
    def name_cut(self, tool: HttpTool) -> str:
        return shortened(tool.name, 22)

    @admin.display(description="owner", ordering="tenant__name")
    def owner(self, tool: HttpTool) -> str:
        return shortened(tool.tenant.name, 16) if tool.tenant else "operator"

    @admin.display(description="owner")
    def owned_by(self, tool: HttpTool) -> str:
        return tool.tenant.name if tool.tenant else "operator"

    @admin.display(description="method", ordering="method")
    def http_method(self, tool: HttpTool) -> str:
        return tool.method

    @admin.display(description="URL template", ordering="url_template")
    def url_cut(self, tool: HttpTool) -> str:
        return shortened(tool.url_template, 40)

    @admin.display(description="offered to", empty_value="—")
    def offered(self, tool: HttpTool) -> str | None:
        if tool.tenant_id is not None:
            return None
        if tool.offered_to_all:
            return "all tenants"
        count = tool.offer_count
        return f"{count} tenant{'s' if count != 1 else ''}" if count else None

    # Writing: through tools.http_tools, like every other writer.

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "http_tool_write_refusal", None)
        return type(form.__name__, (form,), {"write_refusal": refusal}) if refusal else form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except WriteRefused as refused:
            # Nothing was written (Django's view runs in a transaction, rolled back by the raise): the same
            # POST again, the form showing the refusal on the fields it names, as it shows its own errors.
            request.http_tool_write_refusal = refused.errors
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, tool, form, change):
        try:
            if change:
                http_tool_update(tool=tool, fields=form.definition())
            else:
                created = http_tool_create(owner=form.owner(), fields=form.definition())
                # The form's instance becomes the created row: its offers, the admin log and the answer use it.
                tool.__dict__.update(created.__dict__)
        except ValidationFailed as refused:
            raise WriteRefused(refused.errors) from None

    def delete_model(self, request, obj):
        http_tool_delete(tool=obj)

    def delete_queryset(self, request, queryset):
        for tool in queryset:
            http_tool_delete(tool=tool)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None and self.has_change_permission(request, obj):
            context["test_call_url"] = reverse("admin:tools_httptool_test_call", args=[obj.pk])
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    # The test call: a real request upstream, as a tenant the tool reaches.

    def get_urls(self):
        own = [path("<path:object_id>/test-call/", self.admin_site.admin_view(self.test_call_view),
                    name="tools_httptool_test_call")]  # fmt: skip
        return own + super().get_urls()  # first: Django's "<id>/" would take "<id>/test-call/" as an id

    def test_call_view(self, request, object_id):
        tool = self.get_object(request, unquote(object_id))
        if tool is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, tool):
            raise PermissionDenied  # it sends a real request, with the owner's secrets: not for who only looks
        form = TrialForm(request.POST if request.method == "POST" else None, tool=tool, admin_site=self.admin_site)
        trial = None
        if form.is_bound and form.is_valid():
            tenant = form.cleaned_data["tenant"]
            trial = http_tool_trial(tool, tenant=tenant, payload=form.cleaned_data["payload"], request_id=uuid.uuid4())
            self.log_change(request, tool, trial_summary(tool, tenant, trial))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Test call: {tool.name}",
            "opts": self.opts,
            "tool": tool,
            "retry_safe": retry_safe(tool),
            "reachable": tool.tenant_id is not None or tool.offered_to_all or tool.offered_to.exists(),
            "form": form,
            "trial": trial,
            "change_url": reverse("admin:tools_httptool_change", args=[tool.pk]),
            "history_url": reverse("admin:tools_httptool_history", args=[tool.pk]),
        }
        # Not cached (admin_view's never_cache): the upstream's answer may hold the tenant's data.
        return TemplateResponse(request, "admin/tools/httptool/test_call.html", context)


def trial_summary(tool: HttpTool, tenant: Tenant, trial: dict) -> str:
    """The line the tool's history keeps of a test call: who it called as, and how it ended."""
    if trial["answer"] is not None:
        ending = str(trial["answer"]["status"])
    else:
        ending = f"{trial['error']['code']} ({trial['error']['status']})"
    return f"Test call as {tenant.name}: {tool.method} → {ending}"
