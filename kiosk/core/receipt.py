"""The thank-you QR: a signed receipt URL the donor scans for a receipt or a tax receipt.

``{base}/r/{device_id}/{donation_id}?v=2&amount=…&currency=…&project=…&sig=…`` where ``sig`` is
the lowercase hex HMAC-SHA256, keyed with the device's receipt key (the settings key
``receipt_key``, a hex string; the HMAC key is the bytes it encodes), over the signed fields.

Version 2 (signed from now on) encodes the fields unambiguously: each one as
``{byte length}:{UTF-8 bytes},`` (a netstring), after the netstring ``receipt/2``, in the order
device id, donation id, amount in cents (decimal), currency, project id. Version 1 (no ``v`` in
the URL; kiosks in the field still print it) joined them with ``|``, so a ``|`` inside a field
could move the boundary between two fields. The server checks either before the donation is
synced; both refuse a currency that is not three capital letters.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

VERSION = 2
CURRENCY = re.compile(r"[A-Z]{3}")


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


def _netstring(value: str) -> bytes:
    data = value.encode("utf-8")
    return str(len(data)).encode() + b":" + data + b","


def message_v2(device_id: str, donation_id: str, amount_cents: int, currency: str,
               project_id: str) -> bytes:
    return b"".join(_netstring(f) for f in ("receipt/2", device_id, donation_id,
                                            str(amount_cents), currency, project_id))


def message_v1(device_id: str, donation_id: str, amount_cents: int, currency: str,
               project_id: str) -> bytes:
    return f"{device_id}|{donation_id}|{amount_cents}|{currency}|{project_id}".encode()


def signature(receipt_key_hex: str, device_id: str, donation_id: str, amount_cents: int,
              currency: str, project_id: str, version: int = VERSION) -> str:
    """The receipt signature in ``version`` (2 unless asked: kiosks sign 2)."""
    message = (message_v2 if version == 2 else message_v1)(device_id, donation_id,
                                                          amount_cents, currency, project_id)
    return hmac.new(_key_bytes(receipt_key_hex), message, hashlib.sha256).hexdigest()


def receipt_url(base_url: str, receipt_key_hex: str, device_id: str, donation_id: str,
                amount_cents: int, currency: str, project_id: str) -> str:
    sig = signature(receipt_key_hex, device_id, donation_id, amount_cents, currency, project_id)
    query = urlencode({"v": VERSION, "amount": amount_cents, "currency": currency,
                       "project": project_id, "sig": sig})
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
    version: int = VERSION


def parse(url: str) -> Receipt:
    """Read a receipt URL back (tests). Raises ValueError."""
    parts = urlsplit(url)
    segments = parts.path.split("/")
    if len(segments) < 4 or segments[-3] != "r":
        raise ValueError(f"not a receipt URL: {url!r}")
    try:
        query = {k: v[0] for k, v in parse_qs(parts.query, strict_parsing=True).items()}
        version = {"1": 1, "2": 2}[query.get("v", "1")]
        if CURRENCY.fullmatch(query["currency"]) is None:
            raise ValueError("the currency is not three capital letters")
        return Receipt(device_id=unquote(segments[-2]), donation_id=unquote(segments[-1]),
                       amount_cents=int(query["amount"]), currency=query["currency"],
                       project_id=query["project"], sig=query["sig"], version=version)
    except (KeyError, ValueError) as e:
        raise ValueError(f"not a complete receipt URL ({e}): {url!r}") from None


def verify(url: str, receipt_key_hex: str) -> Receipt:
    """Parse ``url`` and check its signature; raises ValueError if it does not match."""
    r = parse(url)
    expected = signature(receipt_key_hex, r.device_id, r.donation_id, r.amount_cents,
                         r.currency, r.project_id, r.version)
    # Bytes, not str: compare_digest raises TypeError on a non-ASCII str, and a scanned URL
    # may carry anything in ``sig``.
    if not hmac.compare_digest(expected.encode(), r.sig.encode()):
        raise ValueError("receipt signature does not match")
    return r
