"""A fixed-window counter in the database: every app process sees the same counts, so the
limit holds with any number of gunicorn workers (no process state)."""

from __future__ import annotations

import math
import time

from django.db import transaction
from django.db.models import F

from central.common.models import ThrottleCounter


def _window(window_s: int) -> tuple[int, int]:
    now = time.time()
    start = int(now // window_s * window_s)
    return start, max(1, math.ceil(start + window_s - now))


def blocked_for(scope: str, key: str, limit: int, window_s: int) -> int | None:
    """Seconds until ``key`` may try again, or None if it is under ``limit`` this window."""
    start, remaining = _window(window_s)
    count = (ThrottleCounter.objects.filter(scope=scope, key=key, window_start=start)
             .values_list("count", flat=True).first())
    return remaining if count is not None and count >= limit else None


def count(scope: str, key: str, window_s: int) -> None:
    """Count one event for ``key`` in the current window (and drop windows long past)."""
    start, _ = _window(window_s)
    with transaction.atomic():
        updated = ThrottleCounter.objects.filter(scope=scope, key=key, window_start=start) \
            .update(count=F("count") + 1)
        if not updated:
            _, created = ThrottleCounter.objects.get_or_create(
                scope=scope, key=key, window_start=start, defaults={"count": 1})
            if not created:
                ThrottleCounter.objects.filter(scope=scope, key=key, window_start=start) \
                    .update(count=F("count") + 1)
        ThrottleCounter.objects.filter(scope=scope, window_start__lt=start - window_s).delete()
