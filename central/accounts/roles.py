"""The four back-office roles as permission groups: a Membership puts its user in the group of
its role, the group says which admin pages the user may open, and the selectors (applied by
every admin list) say which rows they see there."""

from __future__ import annotations

from typing import Any

ALL = ("view", "add", "change", "delete")

# Group name and model permissions per Membership role.
ROLE_GROUPS: dict[str, str] = {
    "network_admin": "network admin",
    "association": "association",
    "shop": "shop",
    "operator": "operator",
}
ROLE_PERMISSIONS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "network_admin": [
        ("auth", "user", ("view", "add", "change")),
        ("accounts", "membership", ALL),
        ("catalog", "association", ALL), ("catalog", "project", ALL), ("catalog", "shop", ALL),
        ("catalog", "shopproject", ALL), ("catalog", "image", ("view",)),
        ("devices", "device", ("view", "add", "change")), ("devices", "devicestate", ("view",)),
        ("devices", "heartbeatrollup", ("view",)), ("donations", "donation", ("view",)),
    ],
    # Its own projects (added and edited) and the donations to them.
    "association": [
        ("catalog", "association", ("view",)), ("catalog", "project", ("view", "add", "change")),
        ("donations", "donation", ("view",)),
    ],
    # Its kiosks, which projects they list, and the donations made on them.
    "shop": [
        ("catalog", "shop", ("view", "change")), ("catalog", "shopproject", ALL),
        ("catalog", "project", ("view",)), ("devices", "device", ("view",)),
        ("devices", "devicestate", ("view",)), ("donations", "donation", ("view",)),
    ],
    # The fleet and its health, no money.
    "operator": [
        ("catalog", "shop", ("view",)), ("devices", "device", ("view", "change")),
        ("devices", "devicestate", ("view",)), ("devices", "heartbeatrollup", ("view",)),
    ],
}


def setup_role_groups(apps: Any) -> None:
    """Create or update the four groups with exactly their permissions (``apps``: the
    migration's registry or django.apps.apps). Idempotent."""
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, name in ROLE_GROUPS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        wanted = [permission_model.objects.get(content_type__app_label=app,
                                               codename=f"{action}_{model}")
                  for app, model, actions in ROLE_PERMISSIONS[role] for action in actions]
        group.permissions.set(wanted)


def sync_user_groups(user: Any) -> None:
    """Put the user in the groups of their memberships' roles, and out of the others."""
    from django.contrib.auth.models import Group

    roles = set(user.memberships.values_list("role", flat=True))
    role_groups = Group.objects.filter(name__in=ROLE_GROUPS.values())
    user.groups.remove(*[g for g in role_groups if g.name not in
                         {ROLE_GROUPS[r] for r in roles}])
    user.groups.add(*[g for g in role_groups if g.name in {ROLE_GROUPS[r] for r in roles}])
