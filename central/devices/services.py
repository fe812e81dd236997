"""Enrollment, revocation and heartbeats: every write about devices goes through here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from central.catalog.models import Shop
from central.common import throttle
from central.devices.models import (
    AuditRow,
    Device,
    DeviceState,
    EnrollmentCode,
    Heartbeat,
    HeartbeatRollup,
    ReceiptKey,
)
from central.devices.tokens import new_enroll_code, new_receipt_key, new_token, sha256_hex
from central.insights import services as insights
from central.reconciliation.services import acknowledge

THROTTLE_SCOPE = "enroll"


class EnrollRefused(Exception):
    """One answer for an unknown, used, expired or cancelled code, or a code for another
    device: nothing tells a guesser which."""


class EnrollThrottled(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(f"too many failed enrollments; try again in {retry_after} s")


class AlreadyEnrolled(Exception):
    """A new code for an enrolled device: revoke it first (an explicit action)."""


@dataclass(frozen=True)
class Enrollment:
    device_id: str
    token: str
    receipt_key: str


def create_enrollment_code(device_id: str, *, shop: Shop | None = None,
                           expires_days: int | None = None, code: str | None = None) -> str:
    """A new one-time code for ``device_id`` (the device is created if new, and put in
    ``shop`` if given). Earlier unused codes for it are cancelled. ``code`` is for tests
    that need a known code; normally it is random."""
    days = settings.CENTRAL_ENROLL_CODE_DAYS if expires_days is None else expires_days
    code = code or new_enroll_code()
    now = timezone.now()
    with transaction.atomic():
        device, _ = Device.objects.select_for_update().get_or_create(device_id=device_id)
        device.full_clean(exclude=["shop"])
        if device.is_enrolled:
            raise AlreadyEnrolled(f"{device_id} is enrolled; revoke it first")
        if shop is not None and device.shop_id != shop.pk:
            device.shop = shop
            device.save(update_fields=["shop"])
        EnrollmentCode.objects.filter(device=device, used_at=None, cancelled_at=None) \
            .update(cancelled_at=now)
        EnrollmentCode.objects.create(device=device, code_sha256=sha256_hex(code),
                                      expires_at=now + timedelta(days=days))
    return code


def enroll_device(code: str, device_id: str, client: str) -> Enrollment:
    """Trade a code for a token and a fresh receipt key; failures are counted per client
    address and refused with :class:`EnrollThrottled` past the limit."""
    limit = settings.CENTRAL_ENROLL_FAILURES_PER_WINDOW
    window = settings.CENTRAL_ENROLL_WINDOW_S
    wait = throttle.blocked_for(THROTTLE_SCOPE, client, limit, window)
    if wait is not None:
        raise EnrollThrottled(wait)
    try:
        return _enroll(code, device_id)
    except EnrollRefused:
        throttle.count(THROTTLE_SCOPE, client, window)
        raise


def _enroll(code: str, device_id: str) -> Enrollment:
    now = timezone.now()
    with transaction.atomic():
        found = (EnrollmentCode.objects.select_for_update().select_related("device")
                 .filter(code_sha256=sha256_hex(code), device__device_id=device_id,
                         used_at=None, cancelled_at=None, expires_at__gt=now).first())
        if found is None or found.device.is_enrolled:
            raise EnrollRefused("this enrollment code is not known")
        found.used_at = now
        found.save(update_fields=["used_at"])
        device = found.device
        token = new_token()
        device.token_sha256 = sha256_hex(token)
        device.enrolled_at, device.revoked_at = now, None
        device.save(update_fields=["token_sha256", "enrolled_at", "revoked_at"])
        ReceiptKey.objects.filter(device=device, retired_at=None).update(retired_at=now)
        key = ReceiptKey.objects.create(device=device, key_hex=new_receipt_key())
    return Enrollment(device.device_id, token, key.key_hex)


def revoke_device(device_id: str) -> Device:
    """Revoke the device's token (it answers 403 from now on) and cancel its unused codes;
    a new code can then be created for it. Raises Device.DoesNotExist."""
    now = timezone.now()
    with transaction.atomic():
        device = Device.objects.select_for_update().get(device_id=device_id)
        if device.revoked_at is None:
            device.revoked_at = now
            device.save(update_fields=["revoked_at"])
        EnrollmentCode.objects.filter(device=device, used_at=None, cancelled_at=None) \
            .update(cancelled_at=now)
    return device


def record_heartbeat(device: Device, body: dict[str, Any], now: datetime | None = None,
                     counts: list[dict[str, Any]] | None = None) -> None:
    """History row, latest state, hourly roll-up, the audit rows and the engagement counts
    (decoded by ``central.insights.validation``), in one transaction (``now``: the time of
    receipt, for replaying history). In the common case: the history INSERT (one row per
    heartbeat, which a kiosk sends once per interval), the previous state read (the backlog's
    start carries over), one UPDATE of the latest state and one of the hour's roll-up; an
    INSERT only for a device's first heartbeat or the first of an hour."""
    now = now or timezone.now()
    hour = now.replace(minute=0, second=0, microsecond=0)
    state = {"received_at": now, "version": body["version"],
             "backlog_count": body["backlog_count"], "backlog_cents": body["backlog_cents"],
             "unknown_count": body["unknown_count"],
             "quarantined_count": body["quarantined_count"],
             "disk_free_bytes": body["disk_free_bytes"],
             "clock_synchronized": body["clock_synchronized"],
             "last_error": body.get("last_error"), "body": body}
    error = 1 if body.get("last_error") else 0
    with transaction.atomic():
        Heartbeat.objects.create(device=device, received_at=now, body=body)
        previous = (DeviceState.objects.select_for_update().filter(device=device)
                    .values("body", "backlog_since").first())
        state["backlog_since"] = _backlog_since(previous, body, now)
        _update_or_insert(
            lambda: DeviceState.objects.filter(device=device).update(**state),
            lambda: DeviceState.objects.create(device=device, **state))
        _update_or_insert(
            lambda: HeartbeatRollup.objects.filter(device=device, hour=hour).update(
                count=F("count") + 1,
                max_backlog_count=Greatest("max_backlog_count", body["backlog_count"]),
                max_backlog_cents=Greatest("max_backlog_cents", body["backlog_cents"]),
                min_disk_free_bytes=Least("min_disk_free_bytes", body["disk_free_bytes"]),
                errors=F("errors") + error),
            lambda: HeartbeatRollup.objects.create(
                device=device, hour=hour, count=1, max_backlog_count=body["backlog_count"],
                max_backlog_cents=body["backlog_cents"],
                min_disk_free_bytes=body["disk_free_bytes"], errors=error))
        if body.get("audit"):
            AuditRow.objects.bulk_create(
                [AuditRow(device=device, seq=r["seq"], actor=r["actor"], action=r["action"],
                          row=r) for r in body["audit"]], ignore_conflicts=True)
            # The kiosk's record of a central decision it applied or refused: delivered, done.
            acknowledge(device, body["audit"])
        insights.record_counts(device, counts or [])


def _backlog_since(previous: dict[str, Any] | None, body: dict[str, Any],
                   now: datetime) -> datetime | None:
    """The first receipt of the current oldest unsent sequence number (it only grows): kept
    while heartbeats repeat it, restarted when it changes, None when nothing waits."""
    seq = body.get("oldest_unsynced_seq")
    if seq is None:
        return None
    if previous is not None and previous["backlog_since"] is not None and \
            previous["body"].get("oldest_unsynced_seq") == seq:
        return previous["backlog_since"]
    return now


def _update_or_insert(update: Callable[[], int], insert: Callable[[], object]) -> None:
    """The UPDATE first (the common case, one statement); the INSERT if no row matched. A
    concurrent first heartbeat of the same device can insert between the two (PostgreSQL;
    SQLite's BEGIN IMMEDIATE serialises them): its unique key refuses ours, and the UPDATE
    then finds its row."""
    if update():
        return
    try:
        with transaction.atomic():  # a savepoint: the refused INSERT leaves the rest intact
            insert()
    except IntegrityError:
        update()


def prune_heartbeats(retention_days: int | None = None) -> int:
    """Delete heartbeat history older than the retention period (the hourly roll-ups and
    each device's latest state stay). Returns the number of rows deleted."""
    days = settings.CENTRAL_HEARTBEAT_RETENTION_DAYS if retention_days is None \
        else retention_days
    deleted, _ = Heartbeat.objects.filter(
        received_at__lt=timezone.now() - timedelta(days=days)).delete()
    return deleted


def set_featured(device: Device, project_ids: list[str]) -> None:
    """The shop owner's ordered choice, from the kiosk: kept as sent, and applied to the
    order of the device's shop's projects."""
    from central.catalog.services import apply_featured_order

    with transaction.atomic():
        Device.objects.filter(pk=device.pk).update(featured_project_ids=project_ids)
        if device.shop_id is not None:
            apply_featured_order(device.shop_id, project_ids)
