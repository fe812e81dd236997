"""Anonymous engagement counts the kiosks send with their heartbeat: for one device, one UTC
hour, one project and one counter, how many times it happened. Nothing about a person."""

from __future__ import annotations

from django.db import models

from central.insights.counters import COUNTERS


class EngagementCount(models.Model):
    device = models.ForeignKey("devices.Device", on_delete=models.CASCADE,
                               related_name="engagement_counts")
    hour = models.DateTimeField()  # the start of a UTC hour
    # The project id as the kiosk sent it; ``project`` is that project, if the server knows it.
    project_ref = models.CharField(max_length=128)
    project = models.ForeignKey("catalog.Project", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="engagement_counts")
    counter = models.CharField(max_length=32, choices=[(c, c) for c in COUNTERS])
    count = models.PositiveIntegerField()
    received_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "hour", "project_ref", "counter"],
                                               name="one_count_per_device_hour_project")]
        indexes = [models.Index(fields=["hour", "counter"])]

    def __str__(self) -> str:
        return f"{self.device} {self.hour:%Y-%m-%d %H:00} {self.project_ref} {self.counter}"
