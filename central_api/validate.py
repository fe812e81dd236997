"""Checks on what devices send: the server's decoders of outside input.

Each function either returns the cleaned value or raises :class:`Invalid` with a message that
names the field; nothing here trusts the device.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

MAX_BATCH = 100
STATES = ("approved", "declined", "cancelled", "failed", "unknown")
DEVICE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_TERMINAL_KEYS = ("auth_code", "card_suffix", "reason")


class Invalid(ValueError):
    """The input is not what the contract says; the message names the field."""


class TooLarge(Invalid):
    pass


def _is_int(v: Any) -> bool:
    return type(v) is int


def _rfc3339(v: Any, name: str) -> str:
    if not isinstance(v, str) or "T" not in v:
        raise Invalid(f"{name}: expected an RFC 3339 time")
    try:
        parsed = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"{name}: expected an RFC 3339 time") from None
    if parsed.tzinfo is None:
        raise Invalid(f"{name}: expected a time with a UTC offset")
    return v


def _short_text(v: Any, name: str, max_len: int, *, nullable: bool = False) -> str | None:
    if v is None and nullable:
        return None
    # Optional terminal texts may be empty: a donation must not be refused for that.
    shortest = 0 if nullable else 1
    if not isinstance(v, str) or not shortest <= len(v) <= max_len:
        raise Invalid(f"{name}: expected text of {shortest} to {max_len} characters")
    return v


def donation_item(item: Any) -> dict[str, Any]:
    """One item of a batch, normalised to exactly the contract's fields."""
    if not isinstance(item, dict):
        raise Invalid("donation: expected an object")
    try:
        donation_id = str(uuid.UUID(item.get("id"))) if isinstance(item.get("id"), str) else None
    except ValueError:
        donation_id = None
    if donation_id is None or donation_id != item["id"]:
        raise Invalid("id: expected a lowercase uuid")
    seq = item.get("seq")
    if not _is_int(seq) or seq < 1:
        raise Invalid("seq: expected a whole number >= 1")
    amount = item.get("amount_cents")
    if not _is_int(amount) or amount <= 0:
        raise Invalid("amount_cents: expected a whole number of cents > 0")
    currency = item.get("currency")
    if not isinstance(currency, str) or re.fullmatch(r"[A-Z]{3}", currency) is None:
        raise Invalid("currency: expected a 3-letter ISO 4217 code")
    if item.get("state") not in STATES:
        raise Invalid(f"state: expected one of {', '.join(STATES)}")
    terminal = item.get("terminal")
    if not isinstance(terminal, dict) or set(terminal) != set(_TERMINAL_KEYS):
        raise Invalid(f"terminal: expected an object with {', '.join(_TERMINAL_KEYS)}")
    suffix = terminal["card_suffix"]
    if suffix is not None and (not isinstance(suffix, str)
                               or re.fullmatch(r"\d{1,4}", suffix) is None):
        raise Invalid("terminal.card_suffix: expected at most 4 digits or null")
    return {
        "id": donation_id,
        "seq": seq,
        "boot_id": _short_text(item.get("boot_id"), "boot_id", 64),
        "project_id": _short_text(item.get("project_id"), "project_id", 128),
        "amount_cents": amount,
        "currency": currency,
        "state": item["state"],
        "created_at": _rfc3339(item.get("created_at"), "created_at"),
        "finished_at": _rfc3339(item.get("finished_at"), "finished_at"),
        "terminal": {
            "auth_code": _short_text(terminal["auth_code"], "terminal.auth_code", 64,
                                     nullable=True),
            "card_suffix": suffix,
            "reason": _short_text(terminal["reason"], "terminal.reason", 2000, nullable=True),
        },
    }


def batch_body(body: Any) -> list[Any]:
    """The ``donations`` list of a batch body (items are checked one by one later)."""
    if not isinstance(body, dict) or not isinstance(body.get("donations"), list):
        raise Invalid("body: expected an object with a 'donations' list")
    items = body["donations"]
    if len(items) > MAX_BATCH:
        raise TooLarge(f"donations: at most {MAX_BATCH} items per batch, got {len(items)}")
    ids = [i.get("id") for i in items if isinstance(i, dict)]
    if len(ids) != len(set(map(str, ids))):
        raise Invalid("donations: the same id appears twice in one batch")
    return items


def enroll_body(body: Any) -> tuple[str, str]:
    if not isinstance(body, dict):
        raise Invalid("body: expected an object with 'code' and 'device_id'")
    code, device_id = body.get("code"), body.get("device_id")
    if not isinstance(code, str) or not 1 <= len(code) <= 128:
        raise Invalid("code: expected text of 1 to 128 characters")
    if not isinstance(device_id, str) or DEVICE_ID.fullmatch(device_id) is None:
        raise Invalid("device_id: expected letters, digits, '.', '_' or '-' (1-64 chars)")
    return code, device_id


def featured_body(body: Any) -> list[str]:
    if not isinstance(body, dict) or not isinstance(body.get("project_ids"), list):
        raise Invalid("body: expected an object with a 'project_ids' list")
    ids = body["project_ids"]
    if len(ids) > 100 or not all(isinstance(i, str) and 0 < len(i) <= 128 for i in ids):
        raise Invalid("project_ids: expected at most 100 project ids")
    if len(set(ids)) != len(ids):
        raise Invalid("project_ids: a project appears twice")
    return ids


HEARTBEAT_INTS = ("backlog_count", "backlog_cents", "unknown_count", "quarantined_count",
                  "disk_free_bytes")


def heartbeat_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Invalid("body: expected an object")
    for key in HEARTBEAT_INTS:
        if not _is_int(body.get(key)) or body[key] < 0:
            raise Invalid(f"{key}: expected a whole number >= 0")
    oldest = body.get("oldest_unsynced_seq")
    if oldest is not None and (not _is_int(oldest) or oldest < 1):
        raise Invalid("oldest_unsynced_seq: expected a whole number >= 1 or null")
    if not isinstance(body.get("version"), str):
        raise Invalid("version: expected text")
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
        if not isinstance(row, dict) or not _is_int(row.get("seq")) or row["seq"] < 1:
            raise Invalid(f"audit[{n}].seq: expected a whole number >= 1")
        for key in ("actor", "action"):
            if not isinstance(row.get(key), str) or not row[key]:
                raise Invalid(f"audit[{n}].{key}: expected text")
        if not isinstance(row.get("detail"), dict):
            raise Invalid(f"audit[{n}].detail: expected an object")
    return rows
