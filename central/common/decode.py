"""Small checks shared by the device API's decoders of outside input."""

from __future__ import annotations

from datetime import datetime
from typing import Any


class Invalid(ValueError):
    """The input is not what the contract says; the message names the field."""


class TooLarge(Invalid):
    pass


def is_int(v: Any) -> bool:
    return type(v) is int  # not bool, not float


def rfc3339(v: Any, name: str) -> datetime:
    if not isinstance(v, str) or "T" not in v:
        raise Invalid(f"{name}: expected an RFC 3339 time")
    try:
        parsed = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"{name}: expected an RFC 3339 time") from None
    if parsed.tzinfo is None:
        raise Invalid(f"{name}: expected a time with a UTC offset")
    return parsed


def short_text(v: Any, name: str, max_len: int, *, nullable: bool = False) -> str | None:
    if v is None and nullable:
        return None
    # Optional terminal texts may be empty: a donation must not be refused for that.
    shortest = 0 if nullable else 1
    if not isinstance(v, str) or not shortest <= len(v) <= max_len:
        raise Invalid(f"{name}: expected text of {shortest} to {max_len} characters")
    return v
