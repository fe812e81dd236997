"""Secrets handed to devices: random, and stored only as sha256 hashes."""

from __future__ import annotations

import base64
import hashlib
import secrets


def sha256_hex(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 32 random bytes


def new_enroll_code() -> str:
    # 20 random bytes in base32, in groups of 4 for reading aloud or typing on a kiosk:
    # 160 bits, far beyond guessing at a throttled rate.
    raw = secrets.token_bytes(20)
    text = base64.b32encode(raw).decode().rstrip("=")
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def new_receipt_key() -> str:
    return secrets.token_hex(32)
