from urllib.parse import urlencode

from django.contrib import admin
from django.http import QueryDict

NUL = "\x00"


def _without_nul(query: QueryDict) -> QueryDict:
    pairs = [(name.replace(NUL, ""), value.replace(NUL, "")) for name, values in query.lists() for value in values]
    return QueryDict(urlencode(pairs), encoding=query.encoding)


class NulSafeChangelistMixin(admin.ModelAdmin):
    """Drops NUL characters from everything a list page reads from its address (filters, lookups,
    search, date drill-down, ordering) and from autocomplete searches: PostgreSQL text cannot hold
    them, so a value containing one would be a database error instead of a list."""

    def changelist_view(self, request, extra_context=None):
        # Here, before the ChangeList reads a single parameter; the actions run on the same list.
        if any(NUL in name or NUL in "".join(values) for name, values in request.GET.lists()):
            request.GET = _without_nul(request.GET)
        return super().changelist_view(request, extra_context)

    def get_search_results(self, request, queryset, search_term):
        # The autocomplete of a related field searches here without passing through the list.
        return super().get_search_results(request, queryset, search_term.replace(NUL, ""))


class ReadOnlyAdminMixin(NulSafeChangelistMixin):
    """Rows nobody adds, changes or deletes in the console, superusers included: they only look."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
