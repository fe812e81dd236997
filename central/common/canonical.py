"""Canonical JSON: the one text form a donation or audit row is stored and compared in."""

from __future__ import annotations

import json
from typing import Any


def canonical(doc: Any) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
