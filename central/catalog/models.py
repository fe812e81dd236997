"""Associations, their projects, shops (which projects each kiosk of theirs shows, in which
order) and content-addressed images."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Association(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    # What a French tax receipt (« reçu au titre des dons », Cerfa 11580) must name: the
    # association's address, object, SIREN or RNA number, kind of body, and who signs.
    address = models.TextField(_("address"), blank=True)
    purpose = models.TextField(_("object"), blank=True)
    registration = models.CharField(_("SIREN or RNA number"), max_length=32, blank=True)
    kind = models.CharField(_("kind"), max_length=200, blank=True,
                            default="Œuvre ou organisme d'intérêt général")
    signatory = models.CharField(_("signatory"), max_length=200, blank=True,
                                 help_text=_("name and capacity, e.g. « Anne Martin, trésorière »"))

    class Meta:
        verbose_name, verbose_name_plural = _("association"), _("associations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Image(models.Model):
    """Image bytes named by their sha256, as the kiosks cache them."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, primary_key=True)
    data = models.BinaryField()
    content_type = models.CharField(_("content type"), max_length=32, default="image/jpeg")
    size = models.PositiveIntegerField(_("size"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name, verbose_name_plural = _("image"), _("images")

    def __str__(self) -> str:
        return self.sha256


class Project(models.Model):
    project_id = models.CharField(_("id"), max_length=128, unique=True)
    association = models.ForeignKey(Association, verbose_name=_("association"),
                                    on_delete=models.PROTECT, related_name="projects")
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"))
    image = models.ForeignKey(Image, verbose_name=_("image"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    goal_cents = models.PositiveBigIntegerField(_("goal (cents)"), default=0)
    # Live: the batch ingest adds approved donations in the same transaction (F()).
    raised_cents = models.PositiveBigIntegerField(_("raised (cents)"), default=0)
    # Live as well: approved donations received, each counted once (the batch ingest adds
    # them in the same transaction and the same UPDATE as raised_cents).
    supporters = models.PositiveIntegerField(_("supporters"), default=0)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    url = models.URLField(_("web page"), null=True, blank=True)
    starts_on = models.DateField(_("first day"), null=True, blank=True)
    ends_on = models.DateField(_("last day"), null=True, blank=True)
    active = models.BooleanField(_("shown on kiosks"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name, verbose_name_plural = _("project"), _("projects")
        ordering = ["title"]

    def __str__(self) -> str:
        return f"{self.project_id} ({self.association})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("project", args=[self.project_id])


class Shop(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    # Where the shop is, for the back office's filters (a fleet spans several towns).
    town = models.CharField(_("town"), max_length=120, null=True, blank=True)
    projects = models.ManyToManyField(Project, verbose_name=_("projects"), through="ShopProject",
                                      related_name="shops")

    class Meta:
        verbose_name, verbose_name_plural = _("shop"), _("shops")
        ordering = ["name"]
        indexes = [models.Index(fields=["town"], name="shop_town")]

    def __str__(self) -> str:
        return self.name


class ShopProject(models.Model):
    """A project a shop's kiosks show; ``position`` is the shop's featured order (None: not
    featured, shown after the featured ones)."""

    shop = models.ForeignKey(Shop, verbose_name=_("shop"), on_delete=models.CASCADE,
                             related_name="listings")
    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE,
                                related_name="listings")
    position = models.PositiveIntegerField(_("featured order"), null=True, blank=True)

    class Meta:
        verbose_name = _("project shown by a shop")
        verbose_name_plural = _("projects shown by a shop")
        constraints = [models.UniqueConstraint(fields=["shop", "project"],
                                               name="project_once_per_shop")]
