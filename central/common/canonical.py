"""Canonical JSON: the one text form a donation or audit row is stored and compared in."""

from __future__ import annotations

import json
from typing import Any

# One encoder for the process: json.dumps with options builds a new one at every call, a
# measurable part of a 100-donation batch.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(doc: Any) -> str:
    return _ENCODER.encode(doc)
