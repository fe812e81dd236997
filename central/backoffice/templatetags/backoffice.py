"""Presentation filters: money from integer cents in the visitor's language (Babel, as the
kiosk formats it), never through a float."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency
from django import template
from django.utils import translation

register = template.Library()


@register.filter
def money(cents: int | None, currency: str = "EUR") -> str:
    if cents is None:
        return ""
    locale = translation.to_locale(translation.get_language() or "fr")
    return format_currency(Decimal(cents).scaleb(-2), currency, locale=locale)


@register.filter
def mib(value: int | None) -> str:
    return "" if value is None else f"{value >> 20}"


@register.inclusion_tag("backoffice/_nav.html", takes_context=True)
def backoffice_nav(context: template.Context) -> dict:
    """The links of the signed-in user's roles (the pages check the role again)."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from central.accounts import selectors as scope

    request = context["request"]
    user = request.user
    links = []
    if user.is_authenticated:
        if scope.sees_fleet(user):
            links.append((reverse("backoffice:fleet"), _("Fleet")))
            links.append((reverse("backoffice:reconciliation"), _("Reconciliation")))
        if scope.sees_money(user):
            links.append((reverse("backoffice:money"), _("Donations")))
            links.append((reverse("insights:page"), _("Engagement")))
        if scope.money_shops(user).exists():
            links.append((reverse("backoffice:shops"), _("My shop")
                          if not scope.is_network_admin(user) else _("Shops")))
    return {"links": [{"url": u, "label": label, "current": request.path.startswith(u)}
                      for u, label in links],
            "user": user, "request": request, "csrf_token": context.get("csrf_token"),
            "LANGUAGES": context.get("LANGUAGES"), "LANGUAGE_CODE": context.get("LANGUAGE_CODE")}
