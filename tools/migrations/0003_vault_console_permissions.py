"""The console groups and the vault: Operators store, replace and delete secrets (add, change, delete) and see
their names; Auditors only see the names (gateway_project/console_grants.py: safe where the groups exist, reversible).
"""

from django.db import migrations

from gateway_project.console_grants import AUDITORS, OPERATORS, group_grants

grant, take_back = group_grants(
    app_label="tools", model="vaultsecret", grants={AUDITORS: ["view"], OPERATORS: ["view", "add", "change", "delete"]}
)


class Migration(migrations.Migration):
    dependencies = [
        ("tools", "0002_vault_secrets"),
        ("tenants", "0008_tool_policy_console_permissions"),
        ("audit", "0010_audit_rows_carry_principal_key_id"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, take_back)]
