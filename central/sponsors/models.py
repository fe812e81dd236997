"""Matching gifts: a sponsor doubles each gift to a project (« chaque don doublé par la
boulangerie Martin, jusqu'à 500 € ») until its budget is spent or its end date has passed."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Sponsor(models.Model):
    """One sponsor per project. ``matched_cents`` is live: the batch ingest adds to it in the
    same transaction as the donations (central.donations.services), never beyond the budget."""

    project = models.OneToOneField("catalog.Project", verbose_name=_("project"),
                                   on_delete=models.CASCADE, related_name="sponsor")
    name = models.CharField(_("name"), max_length=120,
                            help_text=_("e.g. « la boulangerie Martin »"))
    text = models.CharField(_("text"), max_length=200,
                            help_text=_("e.g. « Chaque don doublé, jusqu'à 500 € »"))
    budget_cents = models.PositiveBigIntegerField(_("budget (cents, EUR)"),
                                                  validators=[MinValueValidator(1)])
    matched_cents = models.PositiveBigIntegerField(_("matched so far (cents)"), default=0)
    ends_on = models.DateField(_("last day"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name, verbose_name_plural = _("sponsor"), _("sponsors")
        ordering = ["project__title"]
        constraints = [models.CheckConstraint(name="sponsor_within_budget",
                                              condition=Q(matched_cents__lte=F("budget_cents")))]

    def __str__(self) -> str:
        return f"{self.name} ({self.project.title})"

    @property
    def budget_left_cents(self) -> int:
        return self.budget_cents - self.matched_cents
