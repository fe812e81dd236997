"""Associations, their projects, shops (which projects each kiosk of theirs shows, in which
order) and content-addressed images."""

from __future__ import annotations

from django.db import models


class Association(models.Model):
    name = models.CharField(max_length=200, unique=True)
    # What a French tax receipt (« reçu au titre des dons », Cerfa 11580) must name: the
    # association's address, object, SIREN or RNA number, kind of body, and who signs.
    address = models.TextField(blank=True)
    purpose = models.TextField("object", blank=True)
    registration = models.CharField("SIREN or RNA number", max_length=32, blank=True)
    kind = models.CharField(max_length=200, blank=True,
                            default="Œuvre ou organisme d'intérêt général")
    signatory = models.CharField(max_length=200, blank=True,
                                 help_text="name and capacity, e.g. « Anne Martin, trésorière »")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Image(models.Model):
    """Image bytes named by their sha256, as the kiosks cache them."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    data = models.BinaryField()
    content_type = models.CharField(max_length=32, default="image/jpeg")
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.sha256


class Project(models.Model):
    project_id = models.CharField("id", max_length=128, unique=True)
    association = models.ForeignKey(Association, on_delete=models.PROTECT,
                                    related_name="projects")
    title = models.CharField(max_length=200)
    summary = models.TextField()
    image = models.ForeignKey(Image, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    goal_cents = models.PositiveBigIntegerField(default=0)
    # Live: the batch ingest adds approved donations in the same transaction (F()).
    raised_cents = models.PositiveBigIntegerField(default=0)
    # Live as well: approved donations received, each counted once (the batch ingest adds
    # them in the same transaction and the same UPDATE as raised_cents).
    supporters = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, default="EUR")
    url = models.URLField(null=True, blank=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return f"{self.project_id} ({self.association})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("project", args=[self.project_id])


class Shop(models.Model):
    name = models.CharField(max_length=200, unique=True)
    # Where the shop is, for the back office's filters (a fleet spans several towns).
    town = models.CharField(max_length=120, null=True, blank=True)
    projects = models.ManyToManyField(Project, through="ShopProject", related_name="shops")

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["town"], name="shop_town")]

    def __str__(self) -> str:
        return self.name


class ShopProject(models.Model):
    """A project a shop's kiosks show; ``position`` is the shop's featured order (None: not
    featured, shown after the featured ones)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="listings")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="listings")
    position = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "project"],
                                               name="project_once_per_shop")]
