"""Typed payment outcomes shared by the terminal drivers, the journal and the service."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    TIMEOUT = "timeout"  # the terminal never accepted the request: no money taken
    LINK_ERROR = "link_error"  # the link failed before the request was accepted: no money taken
    UNKNOWN = "unknown"  # the request was accepted and the answer lost: money may have been taken


@dataclass(frozen=True)
class TerminalOutcome:
    status: Status
    amount_cents: int
    currency: str
    auth_code: str | None = None
    card_suffix: str | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = self.status.value
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TerminalOutcome:
        return cls(status=Status(d["status"]), amount_cents=d["amount_cents"],
                   currency=d["currency"], auth_code=d.get("auth_code"),
                   card_suffix=d.get("card_suffix"), reason=d.get("reason"))


def card_suffix(card: str | None) -> str | None:
    """At most the last four digits of whatever card number the terminal sent."""
    digits = re.sub(r"\D", "", card or "")
    return digits[-4:] or None
