"""What people did in the back office: who, when, to which device (kept for good)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class StaffAction(models.Model):
    CREATE_CODE = "create_enrollment_code"
    REVOKE = "revoke"
    UPLOAD_SETTLEMENT = "upload_settlement"
    RESOLVE_OUTCOME = "resolve_outcome"
    CREATE_PROJECT = "create_project"
    EDIT_PROJECT = "edit_project"
    CREATE_SHOP = "create_shop"
    EDIT_SHOP = "edit_shop"
    ACTIONS = [(CREATE_CODE, "create an enrollment code"), (REVOKE, "revoke"),
               (UPLOAD_SETTLEMENT, "upload a settlement file"),
               (RESOLVE_OUTCOME, "resolve an unknown outcome"),
               (CREATE_PROJECT, "create a project"), (EDIT_PROJECT, "edit a project"),
               (CREATE_SHOP, "create a shop"), (EDIT_SHOP, "edit a shop")]

    # The name is kept as well: the row must still say who after the account is deleted.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                             related_name="+")
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=32, choices=ACTIONS)
    # None for an action on no one device (a settlement file).
    device = models.ForeignKey("devices.Device", null=True, blank=True,
                               on_delete=models.CASCADE, related_name="staff_actions")
    # The project created or edited (its id is in ``detail`` too, should it be deleted).
    project = models.ForeignKey("catalog.Project", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="staff_actions")
    # The shop created or edited (its name is in ``detail`` too).
    shop = models.ForeignKey("catalog.Shop", null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="staff_actions")
    detail = models.JSONField(default=dict)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.device or ''}"
