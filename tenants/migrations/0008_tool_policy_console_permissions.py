"""The console groups and tool policies: Operators set and clear a tenant's rule for a tool (add, change,
delete) and see them; Auditors only see them. Built like 0006: safe where the groups exist, reversible.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

AUDITORS, OPERATORS = "Auditors", "Operators"
MODEL = "toolpolicy"
GRANTS = {AUDITORS: ["view"], OPERATORS: ["view", "add", "change", "delete"]}


def _permissions(apps, actions: list[str]):
    Permission = apps.get_model("auth", "Permission")
    return [
        Permission.objects.get(content_type__app_label="tenants", codename=f"{action}_{MODEL}") for action in actions
    ]


def grant(apps, schema_editor):
    # On a new database the permissions are created after every migration has run (post_migrate):
    # create the model's now, as that signal would, so the groups can hold them.
    app_config = apps.get_app_config("tenants")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    for name, actions in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*_permissions(apps, actions))


def take_back(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name, actions in GRANTS.items():
        for group in Group.objects.filter(name=name):
            group.permissions.remove(*_permissions(apps, actions))


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0007_tool_policies"),
        ("audit", "0008_console_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, take_back)]
