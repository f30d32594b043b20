"""The console's admin site: Django's, with its titles, and with NUL characters kept out of every page's query;
and what the console's pages share: UTC timestamp columns and a UTC date-range filter."""

from datetime import UTC, date, datetime, time, timedelta
from functools import update_wrapper
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import QueryDict
from django.utils.html import format_html

NUL = "\x00"


def without_nul(query: QueryDict) -> QueryDict:
    pairs = [(name.replace(NUL, ""), value.replace(NUL, "")) for name, values in query.lists() for value in values]
    return QueryDict(urlencode(pairs), encoding=query.encoding)


class GatewayAdminSite(admin.AdminSite):
    site_header = "Tool Invocation Gateway"
    site_title = "Gateway operations"
    index_title = "Operations"
    index_template = "admin/gateway_index.html"
    # "View site": the landing page (gateway_project/landing.py), which links back here and to the docs.
    site_url = "/"
    # The app list beside every page took 300 of a 1366-px screen's pixels from the lists; the
    # breadcrumbs, the index and the header's Dashboard link do its job.
    enable_nav_sidebar = False

    def admin_view(self, view, cacheable=False):
        """Every console page drops NUL from its query before reading a parameter of it: filters,
        lookups, search, date drill-down, ordering, autocomplete. PostgreSQL text cannot hold NUL,
        so a value with one would be a database error (500) instead of a page."""
        guarded = super().admin_view(view, cacheable)

        def nul_free(request, *args, **kwargs):
            if NUL in request.META.get("QUERY_STRING", "") or any(
                NUL in name or NUL in "".join(values) for name, values in request.GET.lists()
            ):
                request.GET = without_nul(request.GET)
            return guarded(request, *args, **kwargs)

        return update_wrapper(nul_free, guarded)


class GatewayAdminConfig(AdminConfig):
    default_site = "gateway_project.admin_site.GatewayAdminSite"


def utc_timestamp(field_name: str, label: str):
    """A timestamp column (and detail-page row) whose label says UTC, sorted by the field itself.

    The value is returned as is, so the console formats it exactly as it formats the field."""

    @admin.display(description=f"{label} (UTC)", ordering=field_name)
    def timestamp(self, row):
        return getattr(row, field_name)

    timestamp.__name__ = f"{field_name}_utc"
    return timestamp


def shortened(text: object, width: int) -> str:
    """`text` for a list column at most `width` characters wide: the browser cuts it with an ellipsis
    (measured in the font, so wide letters cannot stretch the column) and shows the whole on hover."""
    text = "" if text is None else str(text)
    return format_html('<span class="gateway-cut" style="max-width: {}ch" title="{}">{}</span>', width, text, text)


def utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def parse_day(text: str) -> date | None:
    """A YYYY-MM-DD date, or None for anything else."""
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


class UtcDateRangeFilter(admin.DateFieldListFilter):
    """Django's date links (Today, Past 7 days, ...) and a from/to pair of UTC dates, both inclusive.

    `?created_at__from=2026-01-01&created_at__to=2026-01-31` is every row of January (UTC); either
    end may be left out. A value that is not a date filters nothing and is marked beside its input."""

    template = "admin/gateway/date_range_filter.html"

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.lookup_kwarg_from = f"{field_path}__from"
        self.lookup_kwarg_to = f"{field_path}__to"
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = f"{self.title} (UTC)"
        # Read here, and taken out of what Django's own filter turns into lookups.
        self.range_text = {
            name: (self.used_parameters.pop(name, None) or [""])[-1].strip()
            for name in (self.lookup_kwarg_from, self.lookup_kwarg_to)
        }
        self.range_days = {name: parse_day(text) for name, text in self.range_text.items()}
        self.range_inputs: list[dict] = []
        self.other_parameters: list[tuple[str, str]] = []

    def expected_parameters(self):
        return [*super().expected_parameters(), self.lookup_kwarg_from, self.lookup_kwarg_to]

    def queryset(self, request, queryset):
        queryset = super().queryset(request, queryset)
        first, last = self.range_days[self.lookup_kwarg_from], self.range_days[self.lookup_kwarg_to]
        if first:
            queryset = queryset.filter(**{f"{self.field_path}__gte": utc_midnight(first)})
        if last:
            queryset = queryset.filter(**{f"{self.field_path}__lt": utc_midnight(last + timedelta(days=1))})
        return queryset

    def choices(self, changelist):
        # The template renders the two inputs from these; the rest of the page's query rides along
        # as hidden inputs, except this field's own parameters, which the range replaces.
        self.range_inputs = [
            {
                "name": name,
                "label": "From" if name == self.lookup_kwarg_from else "To",
                "value": self.range_text[name],
                "invalid": bool(self.range_text[name]) and self.range_days[name] is None,
            }
            for name in (self.lookup_kwarg_from, self.lookup_kwarg_to)
        ]
        self.other_parameters = [
            (name, value) for name, value in changelist.params.items() if not name.startswith(self.field_generic)
        ]
        yield from super().choices(changelist)
