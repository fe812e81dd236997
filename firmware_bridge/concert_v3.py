"""Concert V3 codec: TLV fields (2-letter tag, 3-digit length, value), CZ first.

Serial V3 wraps the TLV body in STX/ETX/LRC like V2; Caisse-AP IP sends it bare over TCP.
Every decoder raises :class:`ProtocolError` and nothing else on bad input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from firmware_bridge.protocol import ProtocolError

VERSION = "0300"
MAX_AMOUNT_CENTS = 99_999_999
PERFORMED, NOT_PERFORMED = "10", "01"

# AF reasons (first two characters), in plain words.
REASONS = {
    "04": "refused", "05": "forbidden", "06": "abandoned", "07": "not completed",
    "08": "input timeout", "09": "format error", "11": "operator abort",
    "13": "currency not supported",
}

_TAG = re.compile(rb"[A-Z0-9]{2}")


def encode_tlv(fields: list[tuple[str, str]]) -> bytes:
    out = []
    for tag, value in fields:
        if not re.fullmatch(r"[A-Z0-9]{2}", tag) or len(value) > 999 or \
                re.fullmatch(r"[ -~]*", value) is None:
            raise ProtocolError(f"field {tag!r}: cannot encode {value!r}")
        out.append(f"{tag}{len(value):03d}{value}")
    return "".join(out).encode("ascii")


def decode_tlv(body: bytes) -> list[tuple[str, str]]:
    """Fields in order, read by their lengths; trailing or missing bytes are errors."""
    fields: list[tuple[str, str]] = []
    i = 0
    while i < len(body):
        head = body[i:i + 5]
        if len(head) < 5 or not _TAG.fullmatch(head[:2]) or not head[2:].isdigit():
            raise ProtocolError(f"bad TLV header at byte {i}: {head!r}")
        n = int(head[2:])
        value = body[i + 5:i + 5 + n]
        if len(value) != n:
            raise ProtocolError(f"field {head[:2].decode()} cut short: {n} bytes announced, "
                                f"{len(value)} present")
        if any(b < 0x20 or b > 0x7E for b in value):
            raise ProtocolError(f"field {head[:2].decode()}: printable ASCII expected")
        fields.append((head[:2].decode(), value.decode("ascii")))
        i += 5 + n
    if not fields or fields[0] != ("CZ", VERSION):
        raise ProtocolError(f"CZ {VERSION} must come first")
    return fields


@dataclass(frozen=True)
class Request:
    amount_cents: int
    currency_code: str
    reference: str
    pos: str = "01"
    register_id: str = "000000000001"
    action: str = "0"  # debit


@dataclass(frozen=True)
class Answer:
    performed: bool
    pos: str
    amount_cents: int
    action: str
    currency_code: str
    reason_code: str | None = None
    auth_code: str | None = None
    card: str | None = None
    read_mode: str | None = None
    reference: str | None = None

    @property
    def reason(self) -> str | None:
        if self.reason_code is None:
            return None
        return REASONS.get(self.reason_code[:2], f"reason {self.reason_code}")


def encode_request(r: Request) -> bytes:
    if not 0 < r.amount_cents <= MAX_AMOUNT_CENTS:
        raise ProtocolError(f"amount {r.amount_cents} out of range")
    return encode_tlv([("CZ", VERSION), ("CJ", r.register_id), ("CA", r.pos),
                       ("CB", str(r.amount_cents)), ("CD", r.action),
                       ("CE", r.currency_code), ("BA", "0"), ("CF", r.reference)])


def _amount(value: str) -> int:
    if not (value.isascii() and value.isdigit() and len(value) <= 8):
        raise ProtocolError(f"CB {value!r}: an amount in cents expected")
    return int(value)


def _require(fields: dict[str, str], *tags: str) -> None:
    missing = [t for t in tags if t not in fields]
    if missing:
        raise ProtocolError(f"missing field(s) {', '.join(missing)}")


def decode_request(body: bytes) -> Request:
    f = dict(decode_tlv(body))
    _require(f, "CJ", "CA", "CB", "CD", "CE", "CF")
    return Request(amount_cents=_amount(f["CB"]), currency_code=f["CE"], reference=f["CF"],
                   pos=f["CA"], register_id=f["CJ"], action=f["CD"])


def encode_answer(a: Answer) -> bytes:
    fields = [("CZ", VERSION), ("CA", a.pos), ("CB", str(a.amount_cents)), ("CD", a.action),
              ("CE", a.currency_code), ("AE", PERFORMED if a.performed else NOT_PERFORMED)]
    optional = [("AF", a.reason_code), ("AC", a.auth_code), ("AA", a.card),
                ("CI", a.read_mode), ("CF", a.reference)]
    fields += [(t, v) for t, v in optional if v is not None]
    return encode_tlv(fields)


def decode_answer(body: bytes) -> Answer:
    f = dict(decode_tlv(body))
    _require(f, "AE", "CA", "CB", "CD", "CE")
    if f["AE"] not in (PERFORMED, NOT_PERFORMED):
        raise ProtocolError(f"AE {f['AE']!r}: expected 10 or 01")
    return Answer(performed=f["AE"] == PERFORMED, pos=f["CA"], amount_cents=_amount(f["CB"]),
                  action=f["CD"], currency_code=f["CE"], reason_code=f.get("AF"),
                  auth_code=f.get("AC"), card=f.get("AA"), read_mode=f.get("CI"),
                  reference=f.get("CF"))
