"""The console groups and the vault: Operators store, replace and delete secrets (add, change, delete) and see
their names; Auditors only see the names. Built like tenants 0008: safe where the groups exist, reversible.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

AUDITORS, OPERATORS = "Auditors", "Operators"
MODEL = "vaultsecret"
GRANTS = {AUDITORS: ["view"], OPERATORS: ["view", "add", "change", "delete"]}


def _permissions(apps, actions: list[str]):
    Permission = apps.get_model("auth", "Permission")
    return [Permission.objects.get(content_type__app_label="tools", codename=f"{action}_{MODEL}") for action in actions]


def grant(apps, schema_editor):
    # On a new database the permissions are created after every migration has run (post_migrate):
    # create the model's now, as that signal would, so the groups can hold them.
    app_config = apps.get_app_config("tools")
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
        ("tools", "0002_vault_secrets"),
        ("tenants", "0008_tool_policy_console_permissions"),
        ("audit", "0010_audit_rows_carry_principal_key_id"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, take_back)]
