"""The back office's actions on devices: each goes through central.devices.services and is
recorded with who did it, in the same transaction."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from central.backoffice.models import StaffAction
from central.catalog.models import Project, Shop
from central.devices import services as devices
from central.devices.models import Device

AlreadyEnrolled = devices.AlreadyEnrolled


def _record(user: AbstractBaseUser, action: str, device: Device, **detail: object) -> None:
    StaffAction.objects.create(user=user, username=user.get_username(), action=action,
                               device=device, detail=detail)


def record_project(user: AbstractBaseUser, project: Project, created: bool,
                   changed: list[str]) -> None:
    """A project created or edited in the back office (called inside the admin's own
    transaction, after the save): who, when, which fields."""
    StaffAction.objects.create(
        user=user, username=user.get_username(), project=project,
        action=StaffAction.CREATE_PROJECT if created else StaffAction.EDIT_PROJECT,
        detail={"project_id": project.project_id, "fields": sorted(changed)})


def record_shop(user: AbstractBaseUser, shop: Shop, created: bool, changed: list[str]) -> None:
    """A shop created or edited in the back office, its listed projects included (inside
    the admin's transaction, after the save): who, when, which fields."""
    StaffAction.objects.create(
        user=user, username=user.get_username(), shop=shop,
        action=StaffAction.CREATE_SHOP if created else StaffAction.EDIT_SHOP,
        detail={"shop": shop.name, "fields": sorted(changed)})


def create_enrollment_code(user: AbstractBaseUser, device: Device, expires_days: int) -> str:
    """A new one-time code (returned once, stored hashed). Raises AlreadyEnrolled."""
    with transaction.atomic():
        code = devices.create_enrollment_code(device.device_id, expires_days=expires_days)
        _record(user, StaffAction.CREATE_CODE, device, expires_days=expires_days)
    return code


def revoke(user: AbstractBaseUser, device: Device) -> None:
    with transaction.atomic():
        devices.revoke_device(device.device_id)
        _record(user, StaffAction.REVOKE, device)
