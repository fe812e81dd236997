"""The shop owner's PIN: stored only as a salted, slow scrypt hash, never the PIN itself.

Stored form (the ``pin_hash`` setting): ``scrypt$<log2 n>$<r>$<p>$<salt b64>$<hash b64>``.
The cost is part of the string, so it can be raised later and old hashes still verify.

Example (runnable)::

    >>> stored = hash_new_pin("482193")
    >>> verify_pin("482193", stored), verify_pin("123456", stored)
    (True, False)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re

SCHEME = "scrypt"
LOG2_N = 14  # n = 16384, r = 8: about 16 MiB and a few tens of ms on a Pi 4
R, P = 8, 1
SALT_BYTES, HASH_BYTES = 16, 32
PIN_PATTERN = re.compile(r"[0-9]{4,8}")  # ASCII digits only: \d also matches "１"
# New PINs have at least six digits: the ledger (readable by group kiosk) holds the hash, and
# a copy lets anyone try all 10^4 four-digit PINs offline in minutes; 10^6 costs 100 times
# more. Four- and five-digit PINs set before still verify; the owner is asked to change them.
NEW_PIN_MIN_DIGITS = 6
NEW_PIN_PATTERN = re.compile(r"[0-9]{6,8}")
# Bounds on what a stored string may ask for, so a damaged setting cannot exhaust memory.
_MAX_LOG2_N, _MAX_R, _MAX_P = 20, 16, 4


class BadPin(ValueError):
    """A PIN that does not have the required shape (4 to 8 digits)."""


class BadPinHash(ValueError):
    """A stored hash that cannot be read; the message says which part is wrong."""


def check_pin_shape(pin: str) -> None:
    if not PIN_PATTERN.fullmatch(pin):
        raise BadPin("a PIN is 4 to 8 digits")


def check_new_pin_shape(pin: str) -> None:
    """A PIN being set now: 6 to 8 ASCII digits."""
    if not NEW_PIN_PATTERN.fullmatch(pin):
        raise BadPin("a new PIN is 6 to 8 digits")


def too_short(pin: str) -> bool:
    """True for a PIN that verifies but is shorter than a new PIN may be: change it."""
    return len(pin) < NEW_PIN_MIN_DIGITS


def hash_new_pin(pin: str) -> str:
    """The stored form of a PIN being set now (kioskctl set-pin, the settings screen)."""
    check_new_pin_shape(pin)
    return hash_pin(pin)


def hash_pin(pin: str, *, log2_n: int = LOG2_N, salt: bytes | None = None) -> str:
    """The stored form of ``pin`` with a fresh random salt."""
    check_pin_shape(pin)
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    digest = _scrypt(pin, salt, log2_n, R, P)
    return "$".join([SCHEME, str(log2_n), str(R), str(P), _b64(salt), _b64(digest)])


def verify_pin(pin: str, stored: str) -> bool:
    """True if ``pin`` matches ``stored``; :class:`BadPinHash` if ``stored`` is unreadable."""
    log2_n, r, p, salt, expected = parse(stored)
    if not PIN_PATTERN.fullmatch(pin):
        return False
    return hmac.compare_digest(_scrypt(pin, salt, log2_n, r, p, len(expected)), expected)


def needs_rehash(stored: str) -> bool:
    """True when ``stored`` was made with a lower cost than today's."""
    return parse(stored)[0] < LOG2_N


def parse(stored: str) -> tuple[int, int, int, bytes, bytes]:
    """Split a stored hash into (log2 n, r, p, salt, digest), checking every part."""
    if not isinstance(stored, str):
        raise BadPinHash(f"the stored PIN hash is a {type(stored).__name__}, not text")
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        raise BadPinHash("the stored PIN hash is not of the form scrypt$n$r$p$salt$hash")
    numbers = []
    for name, text, top in (("n", parts[1], _MAX_LOG2_N), ("r", parts[2], _MAX_R),
                            ("p", parts[3], _MAX_P)):
        if not re.fullmatch(r"[0-9]{1,2}", text) or not 1 <= int(text) <= top:
            raise BadPinHash(f"the stored PIN hash has a bad {name} parameter: {text[:10]!r}")
        numbers.append(int(text))
    salt = _unb64(parts[4], "salt")
    digest = _unb64(parts[5], "hash")
    if len(salt) < 8 or not 16 <= len(digest) <= 64:
        raise BadPinHash("the stored PIN hash has a salt or hash of the wrong length")
    return numbers[0], numbers[1], numbers[2], salt, digest


def _scrypt(pin: str, salt: bytes, log2_n: int, r: int, p: int,
            length: int = HASH_BYTES) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=2 ** log2_n, r=r, p=p,
                          maxmem=2 ** (log2_n + 8) * r + 2 ** 20, dklen=length)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str, what: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9+/]{1,128}", text):
        raise BadPinHash(f"the stored PIN hash has a {what} that is not base64")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise BadPinHash(f"the stored PIN hash has a {what} that is not base64") from None
