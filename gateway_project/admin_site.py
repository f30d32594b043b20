"""The console's admin site: Django's, with its titles, and with NUL characters kept out of every page's query."""

from functools import update_wrapper
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import QueryDict

NUL = "\x00"


def without_nul(query: QueryDict) -> QueryDict:
    pairs = [(name.replace(NUL, ""), value.replace(NUL, "")) for name, values in query.lists() for value in values]
    return QueryDict(urlencode(pairs), encoding=query.encoding)


class GatewayAdminSite(admin.AdminSite):
    site_header = "Tool Invocation Gateway"
    site_title = "Gateway operations"
    index_title = "Operations"
    index_template = "admin/gateway_index.html"

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
