"""Validation of the JSON-lines requests the bridge socket accepts (docs: internal APIs, §3)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from firmware_bridge.protocol import CURRENCY_CODES

OPS = ("pay", "cancel", "result", "status")
MAX_LINE = 64 * 1024
REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class BadRequest(ValueError):
    """A request that never reaches the terminal; the message is for the caller."""


@dataclass(frozen=True)
class Request:
    op: str
    reference: str | None = None
    amount_cents: int | None = None
    currency: str | None = None


def parse(line: bytes, *, max_amount_cents: int) -> Request:
    """The request on ``line``; raises only :class:`BadRequest`, naming the fault."""
    if len(line) > MAX_LINE:
        raise BadRequest(f"request longer than {MAX_LINE} bytes")
    try:
        doc = json.loads(line)
    except (ValueError, UnicodeDecodeError) as e:
        raise BadRequest(f"not valid JSON: {e}") from None
    except RecursionError:
        # json recurses once per level: '[' * 60000 would otherwise kill the connection's thread
        raise BadRequest("not valid JSON: nested too deeply") from None
    if not isinstance(doc, dict):
        raise BadRequest("a request is a JSON object")
    op = doc.get("op")
    if op not in OPS:
        raise BadRequest(f"op must be one of {', '.join(OPS)}, got {op!r}")
    if op == "status":
        return Request(op)
    reference = _reference(doc)
    if op != "pay":
        return Request(op, reference)
    amount = doc.get("amount_cents")
    if type(amount) is not int:
        raise BadRequest(f"amount_cents must be a whole number of cents, got {amount!r}")
    if amount <= 0:
        raise BadRequest(f"amount_cents must be positive, got {amount}")
    if amount > max_amount_cents:
        raise BadRequest(f"amount_cents {amount} is over the limit of {max_amount_cents}")
    currency = doc.get("currency")
    if not isinstance(currency, str) or currency not in CURRENCY_CODES:
        raise BadRequest(f"currency must be one of {', '.join(CURRENCY_CODES)}, "
                         f"got {currency!r}")
    return Request(op, reference, amount, currency)


def _reference(doc: dict[str, Any]) -> str:
    ref = doc.get("reference")
    if not isinstance(ref, str) or not REFERENCE.fullmatch(ref):
        raise BadRequest(f"reference must be 1-64 letters, digits, '.', '_' or '-', got {ref!r}")
    return ref
