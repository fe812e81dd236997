"""Concert V2 "E+" codec: fixed-width ASCII fields, 34-character request, 25/80-character answer.

Only bodies here (no STX/ETX/LRC: that is :mod:`firmware_bridge.protocol`). Every decoder
raises :class:`ProtocolError` and nothing else on bad input.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass

from firmware_bridge.protocol import ProtocolError

REQUEST_LENGTH = 34
SHORT_ANSWER_LENGTH = 25
FULL_ANSWER_LENGTH = 80
REPEAT_FIELD_LENGTH = 55
PRIVATE_LENGTH = 10
MAX_AMOUNT_CENTS = 99_999_999

STATUS_ACCEPTED, STATUS_REFUSED, STATUS_NOT_VERIFIED = "0", "7", "9"


def short_reference(reference: str) -> str:
    """The 10-character form of a reference carried in the private-data field.

    A uuid gives its first 10 hex digits (so an operator can find the donation from the
    terminal's ticket by prefix); anything else gives 10 hex digits of its SHA-256.
    """
    try:
        return uuid.UUID(reference).hex[:PRIVATE_LENGTH]
    except ValueError:
        return hashlib.sha256(reference.encode()).hexdigest()[:PRIVATE_LENGTH]


@dataclass(frozen=True)
class Request:
    amount_cents: int
    currency_code: str  # ISO 4217 numeric, e.g. "978"
    private: str = ""
    pos: str = "01"
    full_answer: bool = True
    mode: str = "1"  # card
    kind: str = "0"  # debit
    delay: str = "A010"  # answer at the end of the transaction
    authorisation: str = "B010"


@dataclass(frozen=True)
class Answer:
    pos: str
    status: str
    amount_cents: int
    mode: str
    currency_code: str
    private: str
    repeat: str | None = None  # the 55-character repeat field of a full answer

    @property
    def card(self) -> str | None:
        """The card number as the terminal sent it (first token of the repeat field)."""
        token = (self.repeat or "").strip().split(" ")[0]
        return token or None


def _check(cond: bool, what: str) -> None:
    if not cond:
        raise ProtocolError(what)


def _digits(text: str, n: int, name: str) -> str:
    _check(len(text) == n and text.isascii() and text.isdigit(), f"{name}: {n} digits expected,"
                                                                  f" got {text!r}")
    return text


def encode_request(r: Request) -> bytes:
    _check(0 < r.amount_cents <= MAX_AMOUNT_CENTS, f"amount {r.amount_cents} out of range")
    _digits(r.pos, 2, "POS")
    _digits(r.currency_code, 3, "currency")
    _check(len(r.private) <= PRIVATE_LENGTH and re.fullmatch(r"[ -~]*", r.private) is not None,
           f"private data {r.private!r}: at most 10 printable characters")
    body = (f"{r.pos}{r.amount_cents:08d}{'1' if r.full_answer else '0'}{r.mode}{r.kind}"
            f"{r.currency_code}{r.private:<10}{r.delay}{r.authorisation}")
    return body.encode("ascii")


def decode_request(body: bytes) -> Request:
    text = _ascii(body)
    _check(len(text) == REQUEST_LENGTH, f"request: {REQUEST_LENGTH} characters expected, "
                                        f"got {len(text)}")
    amount = int(_digits(text[2:10], 8, "amount"))
    _check(text[10] in "01", f"answer flag {text[10]!r}")
    return Request(amount_cents=amount, currency_code=_digits(text[13:16], 3, "currency"),
                   private=text[16:26].rstrip(" "), pos=_digits(text[0:2], 2, "POS"),
                   full_answer=text[10] == "1", mode=text[11], kind=text[12],
                   delay=text[26:30], authorisation=text[30:34])


def encode_answer(a: Answer) -> bytes:
    _check(0 <= a.amount_cents <= MAX_AMOUNT_CENTS, f"amount {a.amount_cents} out of range")
    _digits(a.pos, 2, "POS")
    _digits(a.currency_code, 3, "currency")
    _check(re.fullmatch(r"[ -~]{0,10}", a.private) is not None and a.status in "079"
           and len(a.status) == 1 and re.fullmatch(r"[ -~]{0,55}", a.repeat or "") is not None
           and len(a.mode) == 1, "answer fields out of range")
    repeat = "" if a.repeat is None else f"{a.repeat:<55}"[:REPEAT_FIELD_LENGTH]
    body = (f"{a.pos}{a.status}{a.amount_cents:08d}{a.mode}{repeat}{a.currency_code}"
            f"{a.private:<10}")
    return body.encode("ascii")


def decode_answer(body: bytes) -> Answer:
    text = _ascii(body)
    _check(len(text) in (SHORT_ANSWER_LENGTH, FULL_ANSWER_LENGTH),
           f"answer: {SHORT_ANSWER_LENGTH} or {FULL_ANSWER_LENGTH} characters expected, "
           f"got {len(text)}")
    repeat = text[12:67] if len(text) == FULL_ANSWER_LENGTH else None
    tail = text[-13:]
    _check(text[2] in "079", f"answer status {text[2]!r} (expected 0, 7 or 9)")
    return Answer(pos=_digits(text[0:2], 2, "POS"), status=text[2],
                  amount_cents=int(_digits(text[3:11], 8, "amount")), mode=text[11],
                  currency_code=_digits(tail[:3], 3, "currency"),
                  private=tail[3:].rstrip(" "), repeat=repeat)


def _ascii(body: bytes) -> str:
    _check(all(0x20 <= b <= 0x7E for b in body), "a Concert body is printable ASCII only")
    return body.decode("ascii")
