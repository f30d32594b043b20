"""The console groups and tool policies: Operators set and clear a tenant's rule for a tool (add, change,
delete) and see them; Auditors only see them (gateway_project/console_grants.py: safe where the groups exist,
reversible).
"""

from django.db import migrations

from gateway_project.console_grants import AUDITORS, OPERATORS, group_grants

grant, take_back = group_grants(
    app_label="tenants", model="toolpolicy", grants={AUDITORS: ["view"], OPERATORS: ["view", "add", "change", "delete"]}
)


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0007_tool_policies"),
        ("audit", "0008_console_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, take_back)]
