"""Faults and recorded exchanges live in the database: every gunicorn worker sees them."""

from __future__ import annotations

from django.db import models


class Fault(models.Model):
    kind = models.CharField(max_length=32)
    route = models.CharField(max_length=16, default="any")
    times = models.PositiveIntegerField(null=True)  # None: until cleared
    params = models.JSONField(default=dict)

    class Meta:
        ordering = ["pk"]


class FiredFault(models.Model):
    route = models.CharField(max_length=16)
    kind = models.CharField(max_length=32)

    class Meta:
        ordering = ["pk"]


class Exchange(models.Model):
    """One request and its answer (admin routes excluded), as the tests check them against
    the OpenAPI document."""

    at = models.FloatField()
    method = models.CharField(max_length=8)
    route = models.CharField(max_length=16)
    path = models.TextField()
    request = models.JSONField(null=True)
    status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    response = models.JSONField(null=True)
    headers = models.JSONField(default=dict)
    fault = models.CharField(max_length=32, null=True)

    class Meta:
        ordering = ["pk"]
