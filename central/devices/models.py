"""Devices (kiosks), their one-time enrollment codes, receipt keys and heartbeats."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

DEVICE_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
device_id_validator = RegexValidator(rf"\A{DEVICE_ID_PATTERN}\Z",
                                     "letters, digits, '.', '_' or '-' (1-64 characters)")


class Device(models.Model):
    device_id = models.CharField(_("kiosk id"), max_length=64, unique=True,
                                 validators=[device_id_validator])
    shop = models.ForeignKey("catalog.Shop", verbose_name=_("shop"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="devices")
    # sha256 of the bearer token: a database dump does not hand out working tokens.
    token_sha256 = models.CharField(max_length=64, unique=True, null=True, blank=True,
                                    editable=False)
    enrolled_at = models.DateTimeField(_("enrolled at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    featured_project_ids = models.JSONField(default=list, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name, verbose_name_plural = _("kiosk"), _("kiosks")
        ordering = ["device_id"]

    def __str__(self) -> str:
        return self.device_id

    @property
    def is_enrolled(self) -> bool:
        return self.token_sha256 is not None and self.revoked_at is None


class ReceiptKey(models.Model):
    """The key a device signs its receipt QR codes with. Enrolling again issues a new one;
    the old ones stay (retired) so the QR codes already handed out still verify."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="receipt_keys")
    key_hex = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]


class EnrollmentCode(models.Model):
    """A one-time code for one device id, stored hashed, expiring."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="enroll_codes")
    code_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)


class Heartbeat(models.Model):
    """One heartbeat as received (history; pruned after the retention period)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="heartbeats")
    received_at = models.DateTimeField(db_index=True)
    body = models.JSONField()

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["device", "received_at"])]


class DeviceState(models.Model):
    """The latest heartbeat of a device: what the fleet view shows."""

    device = models.OneToOneField(Device, verbose_name=_("kiosk"), on_delete=models.CASCADE,
                                  primary_key=True, related_name="state")
    received_at = models.DateTimeField(_("received at"))
    version = models.CharField(_("version"), max_length=64)
    backlog_count = models.PositiveBigIntegerField(_("donations waiting"))
    backlog_cents = models.PositiveBigIntegerField(_("amount waiting (cents)"))
    unknown_count = models.PositiveBigIntegerField(_("unknown outcomes"))
    quarantined_count = models.PositiveBigIntegerField(_("quarantined"))
    disk_free_bytes = models.PositiveBigIntegerField(_("free disk space (bytes)"))
    clock_synchronized = models.BooleanField(_("clock synchronised"))
    last_error = models.TextField(_("last error"), null=True, blank=True)
    body = models.JSONField()
    # When the server first heard of the current oldest unsent donation
    # (``body.oldest_unsynced_seq``), by its own clock; None without a backlog. Kept here so
    # the fleet page does not look for it among the heartbeats of every device.
    backlog_since = models.DateTimeField(_("waiting since"), null=True, blank=True)

    class Meta:
        verbose_name, verbose_name_plural = _("latest heartbeat"), _("latest heartbeats")

class HeartbeatRollup(models.Model):
    """Heartbeats per device and hour, kept after the history rows are pruned."""

    device = models.ForeignKey(Device, verbose_name=_("kiosk"), on_delete=models.CASCADE,
                               related_name="rollups")
    hour = models.DateTimeField(_("hour"))
    count = models.PositiveIntegerField(_("count"), default=0)
    max_backlog_count = models.PositiveBigIntegerField(_("most donations waiting"), default=0)
    max_backlog_cents = models.PositiveBigIntegerField(_("most amount waiting (cents)"), default=0)
    min_disk_free_bytes = models.PositiveBigIntegerField(_("least free disk space (bytes)"),
                                                         null=True)
    errors = models.PositiveIntegerField(_("errors"), default=0)

    class Meta:
        verbose_name, verbose_name_plural = _("heartbeats per hour"), _("heartbeats per hour")
        constraints = [models.UniqueConstraint(fields=["device", "hour"],
                                               name="rollup_one_row_per_hour")]


class AuditRow(models.Model):
    """An owner or operator action a kiosk reported; stored once per (device, seq)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="audit_rows")
    seq = models.PositiveBigIntegerField()
    actor = models.CharField(max_length=200)
    action = models.CharField(max_length=200)
    row = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["device", "seq"]
        constraints = [models.UniqueConstraint(fields=["device", "seq"],
                                               name="audit_once_per_device_seq")]
