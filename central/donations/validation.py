"""Decoders of what kiosks send in a batch; nothing here trusts the device."""

from __future__ import annotations

import re
from typing import Any

from central.common.decode import Invalid, TooLarge, is_int, rfc3339, short_text

MAX_BATCH = 100
# The one text form of an id: what str(uuid.UUID(text)) gives back, lowercase with hyphens.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_CARD_SUFFIX = re.compile(r"[0-9]{1,4}")
STATES = ("approved", "declined", "cancelled", "failed", "unknown")
_TERMINAL_KEYS = ("auth_code", "card_suffix", "reason")


def donation_item(item: Any) -> dict[str, Any]:
    """One item of a batch, normalised to exactly the contract's fields."""
    if not isinstance(item, dict):
        raise Invalid("donation: expected an object")
    donation_id = item.get("id")
    if not isinstance(donation_id, str) or _UUID.fullmatch(donation_id) is None:
        raise Invalid("id: expected a lowercase uuid")
    seq = item.get("seq")
    if not is_int(seq) or seq < 1 or seq >= 1 << 63:
        raise Invalid("seq: expected a whole number >= 1")
    amount = item.get("amount_cents")
    if not is_int(amount) or not 0 < amount < 1 << 63:
        raise Invalid("amount_cents: expected a whole number of cents > 0")
    currency = item.get("currency")
    if not isinstance(currency, str) or _CURRENCY.fullmatch(currency) is None:
        raise Invalid("currency: expected a 3-letter ISO 4217 code")
    if item.get("state") not in STATES:
        raise Invalid(f"state: expected one of {', '.join(STATES)}")
    terminal = item.get("terminal")
    if not isinstance(terminal, dict) or set(terminal) != set(_TERMINAL_KEYS):
        raise Invalid(f"terminal: expected an object with {', '.join(_TERMINAL_KEYS)}")
    suffix = terminal["card_suffix"]
    if suffix is not None and (not isinstance(suffix, str)
                               or _CARD_SUFFIX.fullmatch(suffix) is None):
        raise Invalid("terminal.card_suffix: expected at most 4 digits or null")
    rfc3339(item.get("created_at"), "created_at")
    rfc3339(item.get("finished_at"), "finished_at")
    return {
        "id": donation_id,
        "seq": seq,
        "boot_id": short_text(item.get("boot_id"), "boot_id", 64),
        "project_id": short_text(item.get("project_id"), "project_id", 128),
        "amount_cents": amount,
        "currency": currency,
        "state": item["state"],
        "created_at": item["created_at"],
        "finished_at": item["finished_at"],
        "terminal": {
            "auth_code": short_text(terminal["auth_code"], "terminal.auth_code", 64,
                                    nullable=True),
            "card_suffix": suffix,
            "reason": short_text(terminal["reason"], "terminal.reason", 2000, nullable=True),
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
