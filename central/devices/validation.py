"""Decoders of what kiosks send to enroll and in heartbeats."""

from __future__ import annotations

import re
from typing import Any

from central.common.decode import Invalid, is_int
from central.devices.models import DEVICE_ID_PATTERN

HEARTBEAT_INTS = ("backlog_count", "backlog_cents", "unknown_count", "quarantined_count",
                  "disk_free_bytes")


def enroll_body(body: Any) -> tuple[str, str]:
    if not isinstance(body, dict):
        raise Invalid("body: expected an object with 'code' and 'device_id'")
    code, device_id = body.get("code"), body.get("device_id")
    if not isinstance(code, str) or not 1 <= len(code) <= 128:
        raise Invalid("code: expected text of 1 to 128 characters")
    if not isinstance(device_id, str) or re.fullmatch(DEVICE_ID_PATTERN, device_id) is None:
        raise Invalid("device_id: expected letters, digits, '.', '_' or '-' (1-64 chars)")
    return code, device_id


def heartbeat_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Invalid("body: expected an object")
    for key in HEARTBEAT_INTS:
        if not is_int(body.get(key)) or not 0 <= body[key] < 1 << 63:
            raise Invalid(f"{key}: expected a whole number >= 0")
    oldest = body.get("oldest_unsynced_seq")
    if oldest is not None and (not is_int(oldest) or oldest < 1):
        raise Invalid("oldest_unsynced_seq: expected a whole number >= 1 or null")
    if not isinstance(body.get("version"), str) or len(body["version"]) > 64:
        raise Invalid("version: expected text (at most 64 characters)")
    if not isinstance(body.get("clock_synchronized"), bool):
        raise Invalid("clock_synchronized: expected true or false")
    if body.get("terminal") is not None and not isinstance(body["terminal"], dict):
        raise Invalid("terminal: expected an object or null")
    if body.get("last_error") is not None and not isinstance(body["last_error"], str):
        raise Invalid("last_error: expected text or null")
    audit_rows(body.get("audit", []))
    return body


def audit_rows(rows: Any) -> list[dict[str, Any]]:
    """The audit rows a heartbeat carries (optional; at most 200)."""
    if not isinstance(rows, list) or len(rows) > 200:
        raise Invalid("audit: expected a list of at most 200 rows")
    for n, row in enumerate(rows):
        if not isinstance(row, dict) or not is_int(row.get("seq")) \
                or not 1 <= row["seq"] < 1 << 63:
            raise Invalid(f"audit[{n}].seq: expected a whole number >= 1")
        for key in ("actor", "action"):
            if not isinstance(row.get(key), str) or not 0 < len(row[key]) <= 200:
                raise Invalid(f"audit[{n}].{key}: expected text")
        if not isinstance(row.get("detail"), dict):
            raise Invalid(f"audit[{n}].detail: expected an object")
    return rows
