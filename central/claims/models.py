"""Tax-receipt claims (« reçu fiscal »): what a donor gives of themselves on their own phone,
stored only here, and the receipt numbers each association issues per year."""

from __future__ import annotations

import secrets

from django.db import models


def new_token() -> str:
    # 256 bits: the claim's private link (status, PDF, withdrawal) is its only credential.
    return secrets.token_urlsafe(32)


class Claim(models.Model):
    FILED = "filed"
    VALIDATED = "validated"
    ISSUED = "issued"
    # Withdrawn after issue: the email and private link are gone; the issued receipt stays as
    # the association's legal copy until its retention ends (docs/receipts.md).
    WITHDRAWN = "withdrawn"
    STATUSES = [(FILED, "filed"), (VALIDATED, "validated"), (ISSUED, "issued"),
                (WITHDRAWN, "withdrawn after issue")]

    # The donation as its signed QR code names it (it may not have reached us yet).
    device_id = models.CharField(max_length=64)
    donation_id = models.UUIDField()
    amount_cents = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    project_ref = models.CharField(max_length=128)
    association = models.ForeignKey("catalog.Association", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="claims")
    # The donor, as typed on their phone.
    name = models.CharField(max_length=200)
    address = models.TextField()
    email = models.EmailField(blank=True)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    status = models.CharField(max_length=16, choices=STATUSES, default=FILED)
    filed_at = models.DateTimeField(auto_now_add=True)
    validated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set once, when issued: « numéro d'ordre » = year + sequence within the association.
    receipt_year = models.PositiveIntegerField(null=True, blank=True, editable=False)
    receipt_seq = models.PositiveIntegerField(null=True, blank=True, editable=False)
    gift_date = models.DateField(null=True, blank=True, editable=False)
    issued_at = models.DateTimeField(null=True, blank=True, editable=False)
    pdf = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-filed_at"]
        constraints = [
            models.UniqueConstraint(fields=["device_id", "donation_id"],
                                    name="one_claim_per_donation"),
            models.UniqueConstraint(fields=["association", "receipt_year", "receipt_seq"],
                                    name="receipt_number_once_per_association_year"),
        ]

    def __str__(self) -> str:
        return self.receipt_number or f"claim {self.pk}"

    @property
    def receipt_number(self) -> str:
        if self.receipt_seq is None:
            return ""
        return f"{self.receipt_year}-{self.receipt_seq:06d}"


class ReceiptCounter(models.Model):
    """The last receipt number issued by an association in a year: issuing locks this row
    (select_for_update) so numbers have no gap and no duplicate across processes."""

    association = models.ForeignKey("catalog.Association", on_delete=models.PROTECT,
                                    related_name="+")
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["association", "year"],
                                               name="one_counter_per_association_year")]
