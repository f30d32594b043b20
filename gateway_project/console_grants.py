"""Giving the console groups a model's permissions, from a data migration.

Migrations call this, so it must keep doing what it does: a different behaviour is a new
function here, never an edit to this one (migrations already applied ran the old code).
"""

from collections.abc import Callable

from django.contrib.auth.management import create_permissions

AUDITORS, OPERATORS = "Auditors", "Operators"


def group_grants(*, app_label: str, model: str, grants: dict[str, list[str]]) -> tuple[Callable, Callable]:
    """The forward and backward functions of a RunPython that gives each group in `grants` the listed
    actions ("view", "add", ...) on `app_label.model`, and takes them back.

    Safe where the groups exist or already hold these permissions (each group is fetched or created and
    given at least these); going back removes the permissions and leaves the groups.
    """

    def permissions(apps, actions: list[str]):
        Permission = apps.get_model("auth", "Permission")
        return [
            Permission.objects.get(content_type__app_label=app_label, codename=f"{action}_{model}")
            for action in actions
        ]

    def grant(apps, schema_editor):
        # On a new database permissions are created after every migration has run (post_migrate):
        # create the app's now, as that signal would, so the groups can hold them.
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
        Group = apps.get_model("auth", "Group")
        for name, actions in grants.items():
            group, _ = Group.objects.get_or_create(name=name)
            group.permissions.add(*permissions(apps, actions))

    def take_back(apps, schema_editor):
        Group = apps.get_model("auth", "Group")
        for name, actions in grants.items():
            for group in Group.objects.filter(name=name):
                group.permissions.remove(*permissions(apps, actions))

    return grant, take_back
