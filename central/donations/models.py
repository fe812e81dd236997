"""Donations as kiosks sent them, de-duplicated on (device, donation id) forever."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Donation(models.Model):
    STATES = [("approved", _("approved")), ("declined", _("declined")),
              ("cancelled", _("cancelled")), ("failed", _("failed")), ("unknown", _("unknown"))]

    device = models.ForeignKey("devices.Device", verbose_name=_("kiosk"), on_delete=models.PROTECT,
                               related_name="donations")
    donation_id = models.UUIDField(_("donation id"))
    seq = models.PositiveBigIntegerField(_("sequence number"))
    boot_id = models.CharField(_("boot id"), max_length=64)
    # The project id as the kiosk sent it; ``project`` is that project, if the server knows it.
    project_ref = models.CharField(_("project id sent"), max_length=128)
    project = models.ForeignKey("catalog.Project", verbose_name=_("project"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="donations")
    amount_cents = models.PositiveBigIntegerField(_("amount (cents)"))
    currency = models.CharField(_("currency"), max_length=3)
    state = models.CharField(_("state"), max_length=16, choices=STATES)
    created_at = models.DateTimeField(_("created at"),
                                      help_text=_("the device's clock: informative only"))
    finished_at = models.DateTimeField(_("finished at"),
                                       help_text=_("the device's clock: informative only"))
    auth_code = models.CharField(_("authorisation code"), max_length=64, null=True, blank=True)
    card_suffix = models.CharField(_("card's last four digits"), max_length=4, null=True,
                                   blank=True)
    reason = models.TextField(_("reason"), null=True, blank=True)
    # Canonical JSON of the item as first received: a resend is compared with it, byte for
    # byte, to tell a duplicate from a conflict; it is never overwritten.
    content = models.TextField(editable=False)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name, verbose_name_plural = _("donation"), _("donations")
        ordering = ["device", "seq"]
        constraints = [models.UniqueConstraint(fields=["device", "donation_id"],
                                               name="donation_once_per_device")]
        indexes = [models.Index(fields=["project", "state"]),
                   # The back office's pages select by the kiosk's date (a month, a day),
                   models.Index(fields=["created_at"], name="donation_created_at"),
                   # and list the unknown outcomes, a few among a million rows.
                   models.Index(fields=["device", "seq"], condition=models.Q(state="unknown"),
                                name="donation_unknown")]


class ShopMonthTotal(models.Model):
    """What a shop's kiosks collected in a month (approved, by the service's calendar on
    receipt), kept live by the batch ingest like a project's raised_cents: the catalog reads
    it as stored (« Ce café a collecté 1 240 € ce mois-ci »)."""

    shop = models.ForeignKey("catalog.Shop", on_delete=models.CASCADE,
                             related_name="month_totals")
    month = models.DateField(help_text=_("the month's first day"))
    currency = models.CharField(max_length=3)
    total_cents = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["shop", "-month"]
        constraints = [models.UniqueConstraint(fields=["shop", "month", "currency"],
                                               name="one_total_per_shop_month")]


class DonationTotals(models.Model):
    """One roll-up row: donations counted and added up per kiosk, project (as sent, and as
    the server knew it), state and currency, for the period its subclass names."""

    device = models.ForeignKey("devices.Device", on_delete=models.PROTECT)
    project_ref = models.CharField(max_length=128)
    project = models.ForeignKey("catalog.Project", null=True, blank=True,
                                on_delete=models.SET_NULL)
    state = models.CharField(max_length=16, choices=Donation.STATES)
    currency = models.CharField(max_length=3)
    count = models.PositiveBigIntegerField(default=0)
    cents = models.PositiveBigIntegerField(default=0)

    class Meta:
        abstract = True


class DonationDay(DonationTotals):
    """The day is the kiosk's ``created_at`` in the service's time zone, the date the back
    office selects donations by. Kept in the same transaction as the batch ingest and as a
    reconciliation decision (central.donations.daily), so the money pages add up days
    instead of every donation of a period."""

    day = models.DateField()

    class Meta:
        ordering = ["-day", "device", "project_ref"]
        # With no project (NULL) two rows of a key may exist after a race: harmless, the
        # pages add rows up and the writers add to one row by its pk.
        constraints = [models.UniqueConstraint(
            fields=["day", "device", "project_ref", "project", "state", "currency"],
            name="one_donation_day")]
        indexes = [models.Index(fields=["day"], name="donationday_day")]


class DonationMonth(DonationTotals):
    """The daily roll-up added up per month (its first day), kept by the same writer in the
    same transaction (central.donations.daily). A year of a network's donations is twelve
    of these per kiosk and project instead of 365 days, which the money pages add up for
    the whole months of a range."""

    month = models.DateField(help_text=_("the month's first day"))

    class Meta:
        ordering = ["-month", "device", "project_ref"]
        # As DonationDay's: with no project, a race may leave two rows of a key.
        constraints = [models.UniqueConstraint(
            fields=["month", "device", "project_ref", "project", "state", "currency"],
            name="one_donation_month")]
        indexes = [models.Index(fields=["month"], name="donationmonth_month")]
