"""The console groups (audit 0008) and principal keys: Operators mint, revoke and rotate them (add and change)
and see them; Auditors only see them. Nobody deletes a key: revoking is how a key ends.

Like audit 0008: safe where the groups exist or already hold these permissions (each group is fetched or
created and given at least these), and reversible (the permissions are taken back; the groups stay, they are 0008's).
"""

from django.db import migrations

from gateway_project.console_grants import AUDITORS, OPERATORS, group_grants

grant, take_back = group_grants(
    app_label="tenants", model="principalkey", grants={AUDITORS: ["view"], OPERATORS: ["view", "add", "change"]}
)


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0005_principal_keys"),
        ("audit", "0008_console_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, take_back)]
