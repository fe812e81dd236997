"""Network admins and associations handle sponsors in the back office (the rows each sees are
scoped by central.sponsors.selectors)."""

from typing import Any

from django.db import migrations

GRANTS = {"network admin": ("view", "add", "change", "delete"),
          "association": ("view", "add", "change", "delete")}


def grant(apps: Any, schema_editor: Any) -> None:
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    create_permissions(global_apps.get_app_config("sponsors"), verbosity=0, apps=apps)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, actions in GRANTS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        group.permissions.add(*permission_model.objects.filter(
            content_type__app_label="sponsors", content_type__model="sponsor",
            codename__in=[f"{a}_sponsor" for a in actions]))


class Migration(migrations.Migration):
    dependencies = [("sponsors", "0001_initial"), ("accounts", "0002_role_groups")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
