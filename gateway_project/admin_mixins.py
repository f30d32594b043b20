from django.contrib import admin


class ReadOnlyAdminMixin(admin.ModelAdmin):
    """Rows nobody adds, changes or deletes in the console, superusers included: they only look."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
