"""Settlement files uploaded from the acquirer's report, their lines, and the decisions
people take on donations whose outcome a kiosk could not know (``unknown``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SettlementFile(models.Model):
    # The name is kept as well: the row must still say who after the account is deleted.
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150)
    name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    first_day = models.DateField()
    last_day = models.DateField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.first_day}…{self.last_day})"


class SettlementLine(models.Model):
    file = models.ForeignKey(SettlementFile, on_delete=models.CASCADE, related_name="lines")
    line = models.PositiveIntegerField()
    day = models.DateField()
    terminal_reference = models.CharField(max_length=36)
    amount_cents = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    auth_code = models.CharField(max_length=64)
    # The donation whose reference (and amount, currency) this line carries, if any.
    donation = models.ForeignKey("donations.Donation", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="settlement_lines")

    class Meta:
        ordering = ["file", "line"]


class OutcomeDecision(models.Model):
    """What a person decided about one ``unknown`` donation, once; delivered to its kiosk
    in heartbeat answers until the kiosk's audit log says it applied or refused it."""

    APPROVED, DECLINED = "approved", "declined"
    DECISIONS = [(APPROVED, "approved"), (DECLINED, "declined")]
    APPLIED, REFUSED = "applied", "refused"

    donation = models.OneToOneField("donations.Donation", on_delete=models.PROTECT,
                                    related_name="decision")
    decision = models.CharField(max_length=16, choices=DECISIONS)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150)
    decided_at = models.DateTimeField(auto_now_add=True)
    settlement_line = models.ForeignKey(SettlementLine, null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    # The kiosk's answer, read from its audit log: applied, or refused with its reason.
    device_answer = models.CharField(max_length=16, blank=True)
    device_detail = models.TextField(blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        indexes = [models.Index(fields=["acknowledged_at"], name="decision_unacknowledged")]

    @property
    def acquirer_reference(self) -> str:
        """What the kiosk records as the acquirer's reference: the settlement line's
        authorisation code, or this decision's own number when no line was used."""
        if self.settlement_line_id is not None and self.settlement_line is not None:
            return self.settlement_line.auth_code
        return f"central-decision-{self.pk}"
