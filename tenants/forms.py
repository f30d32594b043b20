from django import forms
from django.conf import settings
from django.contrib.admin.widgets import AdminRadioSelect, AdminSplitDateTime, AutocompleteSelect
from django.db import connection
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.db.models.sql import Query

from tenants.models import RATE_LIMIT_FIELDS, PrincipalKey, Tenant, TenantLimits, TenantUser


class UniqueWithinTenantForm(forms.ModelForm):
    """Checks that one field is unique within the tenant, which Django's own unique check skips when the
    tenant field is read-only (an inline, or a change page).

    Values are compared as the database's unique constraint compares them, by the database itself:
    `unique_key` is the function the constraint applies to the field (Lower for e-mails), and
    PostgreSQL's lower() folds letters Python's lower() and an iexact lookup (UPPER) do not ('İ').
    """

    unique_field: str
    unique_key: type[Func] | None = None  # None: values compare as they are, by unique_lookup
    unique_lookup: str  # e.g. "name"
    unique_message: str  # the value is already taken in the tenant
    unique_together_message: str  # two rows submitted together have the value

    def clean(self):
        cleaned = super().clean()
        tenant_id = cleaned.get("tenant").pk if cleaned.get("tenant") else self.instance.tenant_id
        value = cleaned.get(self.unique_field)
        if tenant_id and value:
            others = self._meta.model.objects.filter(tenant_id=tenant_id).exclude(pk=self.instance.pk)
            if others.filter(self._same_as(value)).exists():
                self.add_error(self.unique_field, self.unique_message)
        return cleaned

    def _same_as(self, value: str) -> Q | Exact:
        if self.unique_key is None:
            return Q(**{self.unique_lookup: value})
        return Exact(self.unique_key(F(self.unique_field)), self.unique_key(Value(value)))


def _keys_in_database(key: type[Func] | None, values: list[str]) -> list[str]:
    """`key` of each value, computed by the database: only it knows how its constraint folds text."""
    if key is None or not values:
        return values
    query = Query(None)
    compiler = query.get_compiler(connection=connection)
    compiled = [compiler.compile(key(Value(value)).resolve_expression(query)) for value in values]
    columns = ", ".join(sql for sql, _ in compiled)  # our own function's SQL; every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}", [param for _, params in compiled for param in params])
        return list(cursor.fetchone())


class UniqueWithinTenantFormSet(forms.BaseInlineFormSet):
    """Also checks the rows submitted together against each other. Each form checks the database, which
    holds none of the rows being added or changed yet, so two of them sharing a value got past it."""

    def clean(self):
        super().clean()
        form_class = self.form
        field = form_class.unique_field
        # Rows left as they were are in the database already, where each changed row's own check sees them.
        submitted = [
            form for form in self.forms
            if form.has_changed() and form.is_valid() and not self._should_delete_form(form)
            and form.cleaned_data.get(field)
        ]  # fmt: skip
        keys = _keys_in_database(form_class.unique_key, [form.cleaned_data[field] for form in submitted])
        seen = set()
        for form, key in zip(submitted, keys, strict=True):
            if key in seen:
                form.add_error(field, form_class.unique_together_message)
            seen.add(key)


class TenantUserForm(UniqueWithinTenantForm):
    unique_field, unique_key = "email", Lower  # as gateway_users_tenant_email_uniq compares them
    unique_message = "A user with this email already exists in this tenant."
    unique_together_message = "Another user on this page has this email."

    class Meta:
        model = TenantUser
        fields = ["tenant", "email", "role"]


def _limit_field(name: str) -> forms.Field:
    return TenantLimits._meta.get_field(name).formfield()


class TenantForm(forms.ModelForm):
    """A tenant's own fields, and its limits: those live in its TenantLimits row but are edited here, with it.

    `limits` is what the form says they are; saving them is the admin's (tenants.services.tenant_limits_update),
    so that a tenant added here is created, limits and all, by tenant_create.
    """

    limit_fields = RATE_LIMIT_FIELDS
    # Two choices rather than a checkbox: an unticked box is sent as nothing, so a page opened before this
    # field existed would switch the tenant key off, and every client of the tenant would get 403. A choice
    # sent as nothing leaves the tenant as it is (construct_instance skips it: the model field has a default).
    service_key_acts_as_users = forms.TypedChoiceField(
        label="Tenant API key",
        choices=[
            (True, "Acts as any of the tenant's users"),
            (False, "Only creates users and keys: tool and KPI calls need a principal key"),
        ],
        coerce=lambda value: value == "True",
        widget=AdminRadioSelect(attrs={"class": "radiolist"}),
        required=False,
        help_text=Tenant._meta.get_field("service_key_acts_as_users").help_text,
    )
    # Declared from the model's fields: their help texts, and no negative numbers.
    rate_limit_per_minute = _limit_field("rate_limit_per_minute")
    user_rate_limit_per_minute = _limit_field("user_rate_limit_per_minute")
    tool_rate_limit_per_minute = _limit_field("tool_rate_limit_per_minute")

    class Meta:
        model = Tenant
        fields = ["name", "region", "service_key_acts_as_users"]
        # For the page that may only view them, where the limits are shown, not fields.
        help_texts = {name: TenantLimits._meta.get_field(name).help_text for name in RATE_LIMIT_FIELDS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            limits = self.instance.own_limits
            for name in self.limit_fields:
                self.initial.setdefault(name, getattr(limits, name))

    @property
    def limits(self) -> dict[str, int | None]:
        return {name: self.cleaned_data.get(name) for name in self.limit_fields}

    @property
    def limits_changed(self) -> bool:
        return any(name in self.changed_data for name in self.limit_fields)


def _tool_choices() -> list[tuple[str, str]]:
    from tools.providers import tool_list  # tools builds on tenants; importing it at module level would cycle

    return [(tool.name, tool.name) for tool in tool_list(tenant=None)]


class PrincipalKeyCreateForm(forms.Form):
    """What an operator chooses for a new principal key. The form checks only the shapes of the values;
    tenants.principal_keys.principal_key_create checks the rest (the user is the tenant's, the tools exist for
    it, the expiry is ahead), and its refusals are put back on the fields here (`add_service_errors`)."""

    tenant = forms.ModelChoiceField(Tenant.objects.all())
    user = forms.ModelChoiceField(TenantUser.objects.all(), help_text="One of the tenant's users; the key acts as it.")
    label = forms.CharField(
        max_length=PrincipalKey._meta.get_field("label").max_length,
        widget=forms.TextInput(attrs={"class": "vTextField"}),
        help_text="What the key is for, e.g. 'CI deploys' or 'billing agent'. Shown in lists and the admin log.",
    )
    expires_at = forms.SplitDateTimeField(
        label="Expires at",
        required=False,
        widget=AdminSplitDateTime,
        help_text="UTC. Empty: the key never expires (revoke it to stop it).",
    )
    tools = forms.MultipleChoiceField(
        choices=_tool_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The only tools the key may call. None ticked: every tool its user's role may call.",
    )

    # The service names a field by its API name; the form by its own.
    service_field_names = {"user_id": "user"}

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        # Searched as the tenant and user lists are (by name or id, by email): there may be thousands of either.
        for name in ("tenant", "user"):
            field = self.fields[name]
            field.widget = AutocompleteSelect(PrincipalKey._meta.get_field(name), admin_site)
            field.widget.choices = field.choices  # as the field gives its own widget when it is made

    def service_arguments(self) -> dict:
        """principal_key_create's keyword arguments."""
        return {
            "tenant": self.cleaned_data["tenant"],
            "user": self.cleaned_data["user"],
            "label": self.cleaned_data["label"],
            "expires_at": self.cleaned_data["expires_at"],
            "tools": self.cleaned_data["tools"] or None,
        }

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for path, messages in errors.items():
            name = self.service_field_names.get(path, path)
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class KeyRotationForm(forms.Form):
    """How long the rotated key keeps working beside its successor, at most the
    GATEWAY_KEY_ROTATION_MAX_GRACE_SECONDS setting."""

    UNIT_SECONDS = {"hours": 3600, "seconds": 1}

    grace = forms.IntegerField(
        label="Grace period",
        min_value=0,
        widget=forms.NumberInput(attrs={"class": "vIntegerField"}),
        help_text="How long the old key keeps working beside the new one, so its clients can be moved. "
        "0: it stops at once.",
    )
    unit = forms.ChoiceField(choices=[(unit, unit) for unit in UNIT_SECONDS], initial="hours")

    @classmethod
    def max_grace_seconds(cls) -> int:
        return settings.GATEWAY_KEY_ROTATION_MAX_GRACE_SECONDS

    @classmethod
    def default_initial(cls) -> dict:
        """A day, or the longest grace allowed if that is shorter."""
        longest = cls.max_grace_seconds()
        if longest >= 24 * 3600:
            return {"grace": 24, "unit": "hours"}
        if longest % 3600 == 0:
            return {"grace": longest // 3600, "unit": "hours"}
        return {"grace": longest, "unit": "seconds"}

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        seconds = cleaned["grace"] * self.UNIT_SECONDS[cleaned["unit"]]
        longest = self.max_grace_seconds()
        if seconds > longest:
            in_hours = f" ({longest // 3600} hours)" if longest % 3600 == 0 and longest else ""
            self.add_error("grace", f"At most {longest} seconds{in_hours}.")
        cleaned["grace_seconds"] = seconds
        return cleaned
