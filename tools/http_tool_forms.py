"""The console's forms for HTTP tools: a definition as tools.http_tools checks it, and a test call's payload.

JSON fields are edited as indented text; every problem tools.http_tools finds is shown on the field its path names.
"""

import json
import re
from copy import deepcopy

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.fields import InvalidJSONInput

from gateway_project.errors import ValidationFailed
from tenants.models import Tenant
from tools.http_tools import DEFINITION_FIELDS, OFFER_FIELDS, as_tool, definition_check, url_origin
from tools.models import HttpMethod, HttpTool

# The JSON fields of a definition, and how many lines each textarea shows.
JSON_ROWS = {"input_schema": 14, "query_params": 2, "static_headers": 4, "credentials": 8, "roles": 2}
OFFERS_ONLY_FOR_THE_OPERATOR = "Only the operator's tools are offered to other tenants."


def json_textarea(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "class": "vLargeTextField gateway-json", "spellcheck": "false"})


def json_text(value) -> str:
    """A definition's JSON as a person reads it: a list of names (roles, query parameters) on one line, anything
    nested indented."""
    flat = isinstance(value, list) and not any(isinstance(item, (dict, list)) for item in value)
    return json.dumps(value, ensure_ascii=False, indent=None if flat else 2)


class DefinitionJSONField(forms.JSONField):
    """JSON in a textarea, indented as a person reads and edits it; left empty, `empty` (the model's default)."""

    def __init__(self, *, empty=None, **kwargs):
        self.empty = empty
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values and self.empty is not None:
            return deepcopy(self.empty)
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, InvalidJSONInput):
            return value  # what was typed, shown again to be mended
        return json_text(value)


def field_of(error_path: str) -> str:
    """The top-level field a service error's path names: credentials[0].secret → credentials."""
    return re.split(r"[.\[]", error_path, maxsplit=1)[0]


def add_service_errors(form: forms.Form, errors: dict[str, list[str]]) -> None:
    """Each of a ValidationFailed's messages on the form field its path names, or above the form; a path
    deeper than the field leads its message, so the person knows which entry of the JSON to mend."""
    for error_path, messages in errors.items():
        name = field_of(error_path)
        target = name if name in form.fields else None
        for message in messages:
            text = message if target and error_path == name else f"{error_path}: {message}"
            if text not in form.errors.get(target or NON_FIELD_ERRORS, []):
                form.add_error(target, text)


TENANT_CREDENTIALS_ARE_THE_TENANTS = (
    "A tenant's tool sends the tenant's secrets: only the tenant (through the API) may attach them or point the "
    "tool at another host."
)


class HttpToolForm(forms.ModelForm):
    """A definition as tools.http_tools checks it, owned by the tenant chosen (none: the operator)."""

    # Set by HttpToolAdmin when the write itself refused a form that passed (see changeform_view).
    write_refusal: dict[str, list[str]] | None = None

    class Meta:
        model = HttpTool
        fields = ["tenant", *DEFINITION_FIELDS, *OFFER_FIELDS, "offered_to"]
        field_classes = dict.fromkeys(JSON_ROWS, DefinitionJSONField)
        widgets = {
            **{name: json_textarea(rows) for name, rows in JSON_ROWS.items()},
            "description": forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"}),
            "url_template": forms.TextInput(attrs={"class": "vLargeTextField"}),
        }
        labels = {"url_template": "URL template", "query_params": "Query parameters"}
        help_texts = {
            "tenant": "The tenant that owns the tool and whose vault holds its secrets. Empty: the operator's own "
            "tool, offered to the tenants chosen below. It cannot change later.",
            "input_schema": 'The payload\'s JSON Schema, "type": "object". The URL\'s {placeholders} must be '
            "required properties.",
            "query_params": 'Payload properties sent in the query string, e.g. ["limit", "status"].',
            "static_headers": 'Headers sent with every call, e.g. {"Accept-Language": "en"}. No secrets here.',
            "credentials": 'Secrets from the owner\'s vault, e.g. [{"secret": "crm.token", "in": "header", '
            '"name": "Authorization", "format": "Bearer {secret}"}]. "in" is "header" or "query".',
            "roles": 'The tenant roles that may call it, e.g. ["admin", "member"].',
            "offered_to": "The tenants an operator's tool is offered to, when not offered to all.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "method" in self.fields:
            self.fields["method"].choices = [(method, method) for method in HttpMethod.values]  # GET, not "Get"
        for name in JSON_ROWS:
            if name in self.fields and not self.fields[name].required:
                self.fields[name].empty = HttpTool._meta.get_field(name).get_default()

    def owner(self) -> Tenant | None:
        """The tool's owner: chosen on the add page, fixed on the change page."""
        return self.cleaned_data.get("tenant") if "tenant" in self.fields else self.instance.tenant

    def _keep_tenant_secrets_where_the_tenant_sent_them(self, cleaned: dict) -> None:
        """A tenant's secrets go only where the tenant said: the console may not point a tenant's tool that
        sends them at another origin, nor attach them, since a test call would then deliver them there."""
        credentials = cleaned.get("credentials")
        stored = self.instance.credentials if self.instance.pk else []
        if credentials and credentials != stored:
            self.add_error("credentials", TENANT_CREDENTIALS_ARE_THE_TENANTS)
        url = cleaned.get("url_template")
        if self.instance.pk and stored and url and url_origin(url) != url_origin(self.instance.url_template):
            self.add_error("url_template", TENANT_CREDENTIALS_ARE_THE_TENANTS)

    def definition(self) -> dict:
        """The fields http_tool_create and http_tool_update are given (the offer only where the form has it)."""
        return {name: self.cleaned_data[name] for name in (*DEFINITION_FIELDS, *OFFER_FIELDS) if name in self.fields}

    def clean(self):
        cleaned = super().clean()
        if self.has_error("tenant"):
            return cleaned  # the owner decides which vault and which names count: nothing to check against
        owner = self.owner()
        # The whole definition, or nothing: a check against the stored value of a field that failed would
        # report problems the person has already fixed.
        if all(name in cleaned for name in DEFINITION_FIELDS):
            try:
                definition_check({name: cleaned[name] for name in DEFINITION_FIELDS}, owner=owner)
            except ValidationFailed as refused:
                add_service_errors(self, refused.errors)
        if owner is not None:
            for name in ("offered_to_all", "offered_to"):
                if cleaned.get(name):
                    self.add_error(name, OFFERS_ONLY_FOR_THE_OPERATOR)
            self._keep_tenant_secrets_where_the_tenant_sent_them(cleaned)
        name = cleaned.get("name")
        if name and not self.has_error("name"):
            # Asked here to say it in the service's words: for an operator's tool the model's conditional
            # constraint would say "Constraint … is violated", above the form.
            taken = HttpTool.objects.filter(tenant=owner, name=name).exclude(pk=self.instance.pk).exists()
            if taken:
                self.add_error("name", f"A tool named '{name}' already exists.")
        if self.write_refusal:
            add_service_errors(self, self.write_refusal)
        return cleaned


class TrialForm(forms.Form):
    """A test call: whom to call as, and the payload, checked against the input schema as an invocation checks it."""

    tenant = forms.ModelChoiceField(Tenant.objects.none(), label="Call as")
    payload = DefinitionJSONField(empty={}, required=False, initial=dict, widget=json_textarea(10),
                                  help_text="A JSON object, as a caller sends it in \"payload\".")  # fmt: skip

    def __init__(self, *args, tool: HttpTool, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        self.tool = tool
        tenant = self.fields["tenant"]
        if tool.tenant_id is not None:
            tenant.queryset = Tenant.objects.filter(pk=tool.tenant_id)
            tenant.initial, tenant.disabled = tool.tenant_id, True
            tenant.help_text = "A tenant's tool is called as the tenant that owns it."
        elif tool.offered_to_all:
            tenant.queryset = Tenant.objects.order_by("name")
            # Searched, as the tenant list is: there may be thousands.
            tenant.widget = AutocompleteSelect(HttpTool._meta.get_field("tenant"), admin_site)
            tenant.widget.choices = tenant.choices
            tenant.help_text = "Offered to every tenant: search for the one to call as."
        else:
            tenant.queryset = tool.offered_to.order_by("name")
            tenant.help_text = "One of the tenants the tool is offered to."

    def clean_payload(self):
        payload = self.cleaned_data["payload"]
        if not isinstance(payload, dict):
            raise forms.ValidationError('A JSON object, e.g. {"petId": 7}.')
        return payload

    def clean(self):
        cleaned = super().clean()
        if "payload" in cleaned:
            for error_path, messages in as_tool(self.tool).payload_errors(cleaned["payload"]).items():
                where = error_path.removeprefix("payload").lstrip(".")  # payload.petId → petId
                for message in messages:
                    self.add_error("payload", f"{where}: {message}" if where else message)
        return cleaned
