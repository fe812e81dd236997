"""Reading devices: by token (constant-time), receipt keys, history."""

from __future__ import annotations

import hmac

from central.devices.models import AuditRow, Device, Heartbeat
from central.devices.tokens import sha256_hex


def device_for_token(token: str) -> Device | None:
    """The device a bearer token belongs to (revoked or not), or None."""
    digest = sha256_hex(token)
    device = Device.objects.filter(token_sha256=digest).first()
    # The lookup is by an index on the hash; the final comparison is constant-time anyway.
    if device is None or not hmac.compare_digest(device.token_sha256 or "", digest):
        return None
    return device


def receipt_keys(device_id: str) -> list[str]:
    """Every receipt key the device has had, newest first (old QR codes still verify)."""
    return list(Device.objects.filter(device_id=device_id)
                .values_list("receipt_keys__key_hex", flat=True)
                .exclude(receipt_keys__key_hex=None)
                .order_by("-receipt_keys__created_at", "-receipt_keys__pk"))


def heartbeat_bodies(device: Device) -> list[dict]:
    return list(Heartbeat.objects.filter(device=device).order_by("pk")
                .values_list("body", flat=True))


def audit_rows(device: Device) -> list[dict]:
    return list(AuditRow.objects.filter(device=device).order_by("seq")
                .values_list("row", flat=True))
