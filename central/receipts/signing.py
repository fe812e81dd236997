"""Receipt signatures: lowercase hex HMAC-SHA256, keyed with the bytes of the device's hex
receipt key, over ``{device_id}|{donation_id}|{amount_cents}|{currency}|{project_id}`` (the
contract's receiptPage; the kiosk signs the same way)."""

from __future__ import annotations

import hashlib
import hmac
import re


def signature(key_hex: str, device_id: str, donation_id: str, amount_cents: int,
              currency: str, project_id: str) -> str:
    message = f"{device_id}|{donation_id}|{amount_cents}|{currency}|{project_id}"
    return hmac.new(bytes.fromhex(key_hex), message.encode("utf-8"),
                    hashlib.sha256).hexdigest()


def verify(keys: list[str], device_id: str, donation_id: str, amount: str, currency: str,
           project_id: str, sig: str) -> bool:
    """Whether ``sig`` was made with any of the device's keys (old ones too: a QR code
    printed before the device was enrolled again stays valid)."""
    if re.fullmatch(r"[0-9]{1,12}", amount) is None:
        return False
    # compare_digest refuses non-ASCII str: compare bytes, so any query string is just invalid.
    given = sig.lower().encode("utf-8", "replace")
    matches = [hmac.compare_digest(
        signature(k, device_id, donation_id, int(amount), currency, project_id).encode(), given)
        for k in keys]
    return any(matches)
