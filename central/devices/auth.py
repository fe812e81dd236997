"""Who is calling the device API: the bearer token, checked against the device in the path."""

from __future__ import annotations

from django.http import HttpRequest

from central.common.http import ApiError
from central.devices.models import Device
from central.devices.selectors import device_for_token


def authenticated_device(request: HttpRequest, device_id: str | None = None) -> Device:
    """The enrolled device calling, or an ApiError (401 no/unknown token, 403 revoked or
    another device's token). ``device_id`` None: any enrolled device (images)."""
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer "):
        raise ApiError(401, "unauthenticated", "a Bearer device token is required")
    device = device_for_token(auth[len("Bearer "):].strip())
    if device is None:
        raise ApiError(401, "bad_token", "this device token is not known")
    if device.revoked_at is not None:
        raise ApiError(403, "revoked", "this device token was revoked")
    if device_id is not None and device.device_id != device_id:
        raise ApiError(403, "wrong_device", "this token belongs to another device")
    return device
