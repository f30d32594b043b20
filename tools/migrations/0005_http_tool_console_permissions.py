"""The console groups and HTTP tools: Operators register, change and delete them (and run test calls); Auditors
see them (gateway_project/console_grants.py: safe where the groups exist, reversible).
"""

from django.db import migrations

from gateway_project.console_grants import AUDITORS, OPERATORS, group_grants

grant, take_back = group_grants(
    app_label="tools", model="httptool", grants={AUDITORS: ["view"], OPERATORS: ["view", "add", "change", "delete"]}
)


class Migration(migrations.Migration):
    dependencies = [
        ("tools", "0004_http_tools"),
        ("tools", "0003_vault_console_permissions"),
    ]

    operations = [migrations.RunPython(grant, take_back)]
