"""Who may see what in the back office: a user's memberships, each one role with its scope."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Membership(models.Model):
    NETWORK_ADMIN = "network_admin"
    ASSOCIATION = "association"
    SHOP = "shop"
    OPERATOR = "operator"
    ROLES = [(NETWORK_ADMIN, _("network admin")), (ASSOCIATION, _("association")), (SHOP,
              _("shop")),
             (OPERATOR, _("operator"))]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"),
                             on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=ROLES)
    association = models.ForeignKey("catalog.Association", verbose_name=_("association"),
                                    null=True, blank=True,
                                    on_delete=models.CASCADE, related_name="members")
    shop = models.ForeignKey("catalog.Shop", verbose_name=_("shop"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="members")

    class Meta:
        verbose_name, verbose_name_plural = _("role"), _("roles")
        constraints = [models.CheckConstraint(
            name="membership_scope_matches_role",
            condition=(models.Q(role="association", association__isnull=False,
                                shop__isnull=True)
                       | models.Q(role="shop", shop__isnull=False, association__isnull=True)
                       | models.Q(role__in=["network_admin", "operator"],
                                  association__isnull=True, shop__isnull=True)))]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} {self.association or self.shop or ''}"
