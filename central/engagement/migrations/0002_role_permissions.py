"""Network admins and associations handle asks in the back office (the rows each sees are
scoped by central.engagement.selectors); both see who signed up. Here rather than in
central.accounts.roles: these permissions do not exist yet when that migration runs."""

from typing import Any

from django.db import migrations

GRANTS = {
    "network admin": {"ask": ("view", "add", "change", "delete"), "signup": ("view", "delete")},
    "association": {"ask": ("view", "add", "change", "delete"), "signup": ("view",)},
}


def grant(apps: Any, schema_editor: Any) -> None:
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    create_permissions(global_apps.get_app_config("engagement"), verbosity=0, apps=apps)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, models in GRANTS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        for model, actions in models.items():
            group.permissions.add(*permission_model.objects.filter(
                content_type__app_label="engagement", content_type__model=model,
                codename__in=[f"{a}_{model}" for a in actions]))


class Migration(migrations.Migration):
    dependencies = [("engagement", "0001_initial"), ("accounts", "0002_role_groups")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
