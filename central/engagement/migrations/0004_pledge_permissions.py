"""Network admins and associations handle pledges in the back office (rows scoped by
central.engagement.selectors); both see who pledged. Associations only read signatures:
those are the people's own, confirmed from their mailbox. (As 0002 does for asks; a
migration keeps its own copy of the code it runs.)"""

from typing import Any

from django.db import migrations

GRANTS = {
    "network admin": {"pledge": ("view", "add", "change", "delete"),
                      "pledgesignature": ("view", "delete")},
    "association": {"pledge": ("view", "add", "change", "delete"),
                    "pledgesignature": ("view",)},
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
    dependencies = [("engagement", "0003_pledges"), ("accounts", "0002_role_groups")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
