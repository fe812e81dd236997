"""The thank-you QR: a signed receipt URL the donor scans for a receipt or a tax receipt.

``{base}/r/{device_id}/{donation_id}?amount=…&currency=…&project=…&sig=…`` where ``sig`` is the
lowercase hex HMAC-SHA256 of ``{device_id}|{donation_id}|{amount_cents}|{currency}|{project_id}``
keyed with the device's receipt key (the settings key ``receipt_key``, a hex string; the HMAC key
is the bytes it encodes). The server can check it before the donation is synced.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit


class BadReceiptKey(ValueError):
    """The stored receipt key is not usable (not hex, or empty)."""


def _key_bytes(receipt_key_hex: str) -> bytes:
    try:
        key = bytes.fromhex(receipt_key_hex)
    except (TypeError, ValueError):
        raise BadReceiptKey("the receipt key is not a hex string") from None
    if not key:
        raise BadReceiptKey("the receipt key is empty")
    return key


def signature(receipt_key_hex: str, device_id: str, donation_id: str, amount_cents: int,
              currency: str, project_id: str) -> str:
    message = f"{device_id}|{donation_id}|{amount_cents}|{currency}|{project_id}"
    return hmac.new(_key_bytes(receipt_key_hex), message.encode("utf-8"),
                    hashlib.sha256).hexdigest()


def receipt_url(base_url: str, receipt_key_hex: str, device_id: str, donation_id: str,
                amount_cents: int, currency: str, project_id: str) -> str:
    sig = signature(receipt_key_hex, device_id, donation_id, amount_cents, currency, project_id)
    query = urlencode({"amount": amount_cents, "currency": currency, "project": project_id,
                       "sig": sig})
    return (f"{base_url.rstrip('/')}/r/{quote(device_id, safe='')}/"
            f"{quote(donation_id, safe='')}?{query}")


@dataclass(frozen=True)
class Receipt:
    device_id: str
    donation_id: str
    amount_cents: int
    currency: str
    project_id: str
    sig: str


def parse(url: str) -> Receipt:
    """Read a receipt URL back (tests and the reference server). Raises ValueError."""
    parts = urlsplit(url)
    segments = parts.path.split("/")
    if len(segments) < 4 or segments[-3] != "r":
        raise ValueError(f"not a receipt URL: {url!r}")
    try:
        query = {k: v[0] for k, v in parse_qs(parts.query, strict_parsing=True).items()}
        return Receipt(device_id=unquote(segments[-2]), donation_id=unquote(segments[-1]),
                       amount_cents=int(query["amount"]), currency=query["currency"],
                       project_id=query["project"], sig=query["sig"])
    except (KeyError, ValueError) as e:
        raise ValueError(f"not a complete receipt URL ({e}): {url!r}") from None


def verify(url: str, receipt_key_hex: str) -> Receipt:
    """Parse ``url`` and check its signature; raises ValueError if it does not match."""
    r = parse(url)
    expected = signature(receipt_key_hex, r.device_id, r.donation_id, r.amount_cents,
                         r.currency, r.project_id)
    # Bytes, not str: compare_digest raises TypeError on a non-ASCII str, and a scanned URL
    # may carry anything in ``sig``.
    if not hmac.compare_digest(expected.encode(), r.sig.encode()):
        raise ValueError("receipt signature does not match")
    return r
