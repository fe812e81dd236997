"""Days in the service's time zone (settings.TIME_ZONE): a device's clock is informative only,
so the back office selects and rolls up by the service's calendar."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def local_midnight(day: dt.date) -> dt.datetime:
    """The aware moment ``day`` starts at in the service's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))
