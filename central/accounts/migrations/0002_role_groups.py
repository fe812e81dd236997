"""The four role groups and their permissions (central.accounts.roles)."""

from typing import Any

from django.db import migrations


def create_role_groups(apps: Any, schema_editor: Any) -> None:
    # Permissions (and content types) are normally made after all migrations, by
    # post_migrate: make them now for the apps the groups use, so a fresh database works.
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    from central.accounts.roles import setup_role_groups

    for label in ("auth", "accounts", "catalog", "devices", "donations"):
        config = global_apps.get_app_config(label)
        create_permissions(config, verbosity=0, apps=apps)
    setup_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("catalog", "0001_initial"),
        ("devices", "0001_initial"),
        ("donations", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
