from __future__ import annotations

from django.db import models


class ThrottleCounter(models.Model):
    """Events counted per (scope, key) in a fixed time window (see common.throttle)."""

    scope = models.CharField(max_length=32)
    key = models.CharField(max_length=64)
    window_start = models.BigIntegerField()  # Unix seconds
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key", "window_start"],
                                               name="throttle_one_row_per_window")]
