from django.contrib import admin


class NulSafeSearchMixin(admin.ModelAdmin):
    """Drops NUL characters from the search box: PostgreSQL text cannot hold them, so a search
    containing one would be a database error instead of no results."""

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, search_term.replace("\x00", ""))


class ReadOnlyAdminMixin(NulSafeSearchMixin):
    """Rows nobody adds, changes or deletes in the console, superusers included: they only look."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
