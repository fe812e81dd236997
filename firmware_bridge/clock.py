"""The bridge's one wall-clock helper (journal rows and the status answer share its format)."""

from __future__ import annotations

import datetime as dt


def utc_now() -> str:
    """Informative only: a Pi has no real-time clock, so nothing is ordered by this."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
