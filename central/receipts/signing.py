"""Receipt signatures, as the contract's receiptPage describes them: lowercase hex
HMAC-SHA256, keyed with the bytes of the device's hex receipt key.

Version 2 (``v=2``, what kiosks sign now) signs netstrings: ``{byte length}:{UTF-8 bytes},``
for ``receipt/2``, device id, donation id, amount in cents, currency, project id, so no value
can move a boundary between fields. Version 1 (no ``v``; kiosks in the field) signs
``{device_id}|{donation_id}|{amount_cents}|{currency}|{project_id}``. Both refuse a currency
that is not three capital letters and an amount that is not 1-12 digits.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

VERSIONS = (1, 2)
AMOUNT = re.compile(r"[0-9]{1,12}")
CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class SignedReceipt:
    """The fields a QR code carries, once its signature holds."""

    device_id: str
    donation_id: str
    amount_cents: int
    currency: str
    project_id: str
    version: int


def _netstring(value: str) -> bytes:
    data = value.encode("utf-8")
    return b"%d:%s," % (len(data), data)


def message(version: int, device_id: str, donation_id: str, amount_cents: int, currency: str,
            project_id: str) -> bytes:
    if version == 2:
        return b"".join(_netstring(f) for f in ("receipt/2", device_id, donation_id,
                                                str(amount_cents), currency, project_id))
    return f"{device_id}|{donation_id}|{amount_cents}|{currency}|{project_id}".encode()


def signature(key_hex: str, device_id: str, donation_id: str, amount_cents: int,
              currency: str, project_id: str, version: int = 2) -> str:
    data = message(version, device_id, donation_id, amount_cents, currency, project_id)
    return hmac.new(bytes.fromhex(key_hex), data, hashlib.sha256).hexdigest()


def verify(keys: list[str], device_id: str, donation_id: str, amount: str, currency: str,
           project_id: str, sig: str, version: str = "1") -> SignedReceipt | None:
    """The signed receipt if ``sig`` was made with any of the device's keys (old ones too: a
    QR code printed before the device was enrolled again stays valid), else None."""
    if version not in ("1", "2") or AMOUNT.fullmatch(amount) is None \
            or CURRENCY.fullmatch(currency) is None:
        return None
    v = int(version)
    # compare_digest refuses non-ASCII str: compare bytes, so any query string is just invalid.
    given = sig.lower().encode("utf-8", "replace")
    matches = [hmac.compare_digest(
        signature(k, device_id, donation_id, int(amount), currency, project_id, v).encode(),
        given) for k in keys]
    if not any(matches):
        return None
    return SignedReceipt(device_id, donation_id, int(amount), currency, project_id, v)
