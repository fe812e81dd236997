"""What a project asks of people beyond money: volunteer asks (« on cherche 3 bénévoles
samedi ») and who signed up, on their own phone, to each."""

from __future__ import annotations

import secrets

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def new_token() -> str:
    # The ask's public id in its sign-up link (and its id in the device catalog): not guessable,
    # so the pages of asks that were never shown cannot be walked through.
    return secrets.token_urlsafe(12)


class Ask(models.Model):
    project = models.ForeignKey("catalog.Project", verbose_name=_("project"),
                                on_delete=models.CASCADE, related_name="asks")
    what = models.CharField(_("what"), max_length=200,
                            help_text=_("e.g. « Planter les bulbes du square »"))
    starts_at = models.DateTimeField(_("when"))
    place = models.CharField(_("where"), max_length=200)
    duration_minutes = models.PositiveIntegerField(_("how long (minutes)"),
                                                   validators=[MinValueValidator(1)])
    needed = models.PositiveIntegerField(_("people needed"), validators=[MinValueValidator(1)])
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name, verbose_name_plural = _("volunteer ask"), _("volunteer asks")
        ordering = ["starts_at", "pk"]
        constraints = [models.CheckConstraint(name="ask_needs_someone",
                                              condition=Q(needed__gte=1))]

    def __str__(self) -> str:
        return f"{self.what} ({self.project.title})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("ask", args=[self.token])


class Signup(models.Model):
    """One person for one ask: a first name and a way to reach them, as typed on their phone."""

    ask = models.ForeignKey(Ask, verbose_name=_("ask"), on_delete=models.CASCADE,
                            related_name="signups")
    first_name = models.CharField(_("first name"), max_length=100)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    signed_up_at = models.DateTimeField(_("signed up at"), auto_now_add=True)

    class Meta:
        verbose_name, verbose_name_plural = _("sign-up"), _("sign-ups")
        ordering = ["signed_up_at", "pk"]
        constraints = [
            models.CheckConstraint(name="signup_reachable", condition=~Q(email="", phone="")),
            models.UniqueConstraint(fields=["ask", "email"], condition=~Q(email=""),
                                    name="one_signup_per_email"),
            models.UniqueConstraint(fields=["ask", "phone"], condition=~Q(phone=""),
                                    name="one_signup_per_phone"),
        ]

    def __str__(self) -> str:
        return self.first_name


class Pledge(models.Model):
    """« Si 500 voisins s'engagent à … avant le 30 juin, alors … »: a commitment that counts
    once per confirmed email, until its threshold is reached (``reached_at``, set once)."""

    project = models.ForeignKey("catalog.Project", verbose_name=_("project"),
                                on_delete=models.CASCADE, related_name="pledges")
    commitment = models.CharField(_("commitment"), max_length=200,
                                  help_text=_("e.g. « Je trie mes biodéchets au composteur »"))
    threshold = models.PositiveIntegerField(_("people needed"), validators=[MinValueValidator(1)])
    deadline = models.DateField(_("deadline"), help_text=_("The last day people can pledge."))
    outcome = models.TextField(_("what happens when it is reached"), max_length=1000)
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    reached_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name, verbose_name_plural = _("pledge"), _("pledges")
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(name="pledge_needs_someone",
                                              condition=Q(threshold__gte=1))]

    def __str__(self) -> str:
        return f"{self.commitment} ({self.project.title})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("pledge", args=[self.token])


class PledgeSignature(models.Model):
    """One email on one pledge. It counts once its owner followed the link mailed to it
    (``confirmed_at``); only the link's hash is kept, so the table alone confirms nobody."""

    pledge = models.ForeignKey(Pledge, verbose_name=_("pledge"), on_delete=models.CASCADE,
                               related_name="signatures")
    email = models.EmailField(_("email"))
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    language = models.CharField(max_length=2, default="fr")  # of its emails: the page's
    token_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    signed_at = models.DateTimeField(_("signed at"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    # When this person was told the threshold was reached (by email, or on the page when
    # they confirmed after it): never twice.
    told_reached_at = models.DateTimeField(_("told it was reached at"), null=True, blank=True)

    class Meta:
        verbose_name, verbose_name_plural = _("pledge signature"), _("pledge signatures")
        ordering = ["signed_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["pledge", "email"],
                                               name="one_signature_per_email")]

    def __str__(self) -> str:
        return self.email
