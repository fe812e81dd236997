"""Capped exponential backoff with full jitter, honouring the server's ``Retry-After``.

Full jitter (a uniform draw between 0 and the capped exponential) spreads a fleet of kiosks
that all lost the network at the same moment, so they do not come back in lock-step.
"""

from __future__ import annotations

import random
import re
from email.utils import parsedate_to_datetime

MAX_RETRY_AFTER_S = 24 * 3600


def parse_retry_after(value: str | None, server_date: str | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, or None if absent or unreadable.

    The HTTP-date form is measured against the answer's own ``Date`` header (the server's
    clock), never against the device clock, which a Pi without a real-time clock cannot trust.
    """
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"[0-9]{1,15}", value):  # ASCII digits only: '¹'.isdigit() is True
        return float(min(int(value), MAX_RETRY_AFTER_S))
    if not server_date:
        return None
    try:
        then, now = parsedate_to_datetime(value), parsedate_to_datetime(server_date)
    except (TypeError, ValueError, IndexError):
        return None
    if then is None or now is None or (then.tzinfo is None) != (now.tzinfo is None):
        return None
    return float(min(max((then - now).total_seconds(), 0.0), MAX_RETRY_AFTER_S))


class Backoff:
    def __init__(self, base_s: float = 1.0, cap_s: float = 600.0,
                 rng: random.Random | None = None):
        self.base_s, self.cap_s = base_s, cap_s
        self.rng = rng or random.Random()
        self.failures = 0

    def reset(self) -> None:
        self.failures = 0

    def next_delay(self, retry_after: float | None = None) -> float:
        """The wait before the next attempt, after one more failure."""
        ceiling = min(self.cap_s, self.base_s * 2 ** min(self.failures, 32))
        self.failures += 1
        delay = self.rng.uniform(0, ceiling)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return delay
