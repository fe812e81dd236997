"""Tax-receipt claims (« reçu fiscal »): what a donor gives of themselves on their own phone,
stored only here, and the receipt numbers each association issues per year."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
    # Issued, then kept six years: what the donor typed is gone; the number, the amount and
    # the date stay for the association's accounts (no gap in the sequence).
    ERASED = "erased"
    STATUSES = [(FILED, _("filed")), (VALIDATED, _("validated")), (ISSUED, _("issued")),
                (WITHDRAWN, _("withdrawn after issue")), (ERASED, _("erased after retention"))]

    # The donation as its signed QR code names it (it may not have reached us yet).
    device_id = models.CharField(_("kiosk"), max_length=64)
    donation_id = models.UUIDField(_("donation"))
    amount_cents = models.PositiveBigIntegerField(_("amount in cents"))
    currency = models.CharField(_("currency"), max_length=3)
    project_ref = models.CharField(_("project"), max_length=128)
    association = models.ForeignKey("catalog.Association", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="claims",
                                    verbose_name=_("association"))
    # The donor, as typed on their phone.
    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("address"))
    email = models.EmailField(_("email"), blank=True)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=STATUSES, default=FILED)
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    validated_at = models.DateTimeField(_("validated at"), null=True, blank=True,
                                        editable=False)
    # Set once, when issued: « numéro d'ordre » = year + sequence within the association.
    receipt_year = models.PositiveIntegerField(null=True, blank=True, editable=False)
    receipt_seq = models.PositiveIntegerField(null=True, blank=True, editable=False)
    gift_date = models.DateField(_("date of the gift"), null=True, blank=True, editable=False)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True, editable=False)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    # Grouped into one annual receipt instead of a receipt of its own (never both).
    annual = models.ForeignKey("claims.AnnualReceipt", null=True, blank=True, editable=False,
                               on_delete=models.PROTECT, related_name="claims")
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name, verbose_name_plural = _("tax-receipt claim"), _("tax-receipt claims")
        ordering = ["-filed_at"]
        constraints = [
            models.UniqueConstraint(fields=["device_id", "donation_id"],
                                    name="one_claim_per_donation"),
            models.UniqueConstraint(fields=["association", "receipt_year", "receipt_seq"],
                                    name="receipt_number_once_per_association_year"),
            models.CheckConstraint(condition=models.Q(annual__isnull=True)
                                   | models.Q(receipt_seq__isnull=True),
                                   name="claim_in_one_receipt_only"),
        ]

    def __str__(self) -> str:
        return self.receipt_number or f"claim {self.pk}"

    @property
    def receipt_number(self) -> str:
        if self.annual_id is not None and self.annual is not None:
            return self.annual.receipt_number
        if self.receipt_seq is None:
            return ""
        return f"{self.receipt_year}-{self.receipt_seq:06d}"


class AnnualReceipt(models.Model):
    """One receipt for all of a donor's claimed gifts of a year to one association (the
    donor is their email), numbered in the same per-year sequence as single receipts."""

    ISSUED, WITHDRAWN, ERASED = Claim.ISSUED, Claim.WITHDRAWN, Claim.ERASED
    STATUSES = [(ISSUED, _("issued")), (WITHDRAWN, _("withdrawn after issue")),
                (ERASED, _("erased after retention"))]

    association = models.ForeignKey("catalog.Association", on_delete=models.PROTECT,
                                    related_name="annual_receipts")
    receipt_year = models.PositiveIntegerField()
    receipt_seq = models.PositiveIntegerField()
    # The donor as they typed it on their latest claim of the year.
    name = models.CharField(max_length=200)
    address = models.TextField()
    email = models.EmailField(blank=True)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    status = models.CharField(max_length=16, choices=STATUSES, default=ISSUED)
    total_cents = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    issued_at = models.DateTimeField()
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name, verbose_name_plural = _("annual receipt"), _("annual receipts")
        ordering = ["-receipt_year", "-receipt_seq"]
        constraints = [
            models.UniqueConstraint(fields=["association", "receipt_year", "receipt_seq"],
                                    name="annual_number_once_per_association_year"),
        ]

    def __str__(self) -> str:
        return self.receipt_number

    @property
    def receipt_number(self) -> str:
        return f"{self.receipt_year}-{self.receipt_seq:06d}"


class ClaimAction(models.Model):
    """What was done to claims, in the back office or by a command: who, when (kept for good,
    like the fleet's staff actions). Each validation and each single issue is one row; an
    annual issue is one row for the receipts it made."""

    VALIDATE, ISSUE, ISSUE_ANNUAL = "validate", "issue", "issue_annual"
    ACTIONS = [(VALIDATE, _("claim validated")), (ISSUE, _("receipt issued")),
               (ISSUE_ANNUAL, _("annual receipts issued"))]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                             related_name="+")
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=32, choices=ACTIONS)
    # None: a claim for a project no association holds, validated by a network admin.
    association = models.ForeignKey("catalog.Association", null=True,
                                    on_delete=models.PROTECT, related_name="+")
    detail = models.JSONField(default=dict)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.association}"


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
