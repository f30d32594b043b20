"""Two groups for console staff who are not superusers.

Auditors look at everything an operator looks at and change nothing. Operators also add and
change tenants, gateway users and KPI definitions, which is what rotating (or suspending) a
tenant's key needs: the change permission on tenants. Nobody in either group deletes anything.

Safe on a database where the groups exist: each is fetched or created and given at least these
permissions (what an administrator added to it is left alone). Reversing removes both groups.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

AUDITORS, OPERATORS = "Auditors", "Operators"

# (app label, model) pairs, as in the admin.
LOOKED_AT = [
    ("audit", "auditlog"),  # also what the dashboard asks for
    ("audit", "usageevent"),
    ("audit", "auditseal"),
    ("tools", "idempotencykey"),
    ("tenants", "tenant"),
    ("tenants", "tenantuser"),
    ("kpis", "kpidefinition"),
]
MANAGED = [("tenants", "tenant"), ("tenants", "tenantuser"), ("kpis", "kpidefinition")]

GROUPS = {
    AUDITORS: [("view", app, model) for app, model in LOOKED_AT],
    OPERATORS: [("view", app, model) for app, model in LOOKED_AT]
    + [(action, app, model) for app, model in MANAGED for action in ("add", "change")],
}


def create_groups(apps, schema_editor):
    # On a new database the permissions are created after every migration has run (post_migrate):
    # create them now, as that signal would, so the groups can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for action, app_label, model in grants:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=f"{action}_{model}")
            )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0007_ledger_time_and_id_indexes"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("kpis", "0002_points_only_the_unique_index"),
        ("tenants", "0003_tenant_suspension"),
        ("tools", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
