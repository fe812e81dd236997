"""Words and widths for the engagement page: the counters' names in the visitor's language."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

STEP_NAMES = {
    "slide_shown": _("Slides shown"),
    "give_tapped": _("« Je donne » tapped"),
    "amount_chosen": _("Amount chosen"),
    "payment_started": _("Payment started"),
    "payment_approved": _("Gift approved"),
    "abandoned_timeout": _("Left the amount screen without touching it"),
    "abandoned_back": _("Went back from the amount screen"),
    "abandoned_cancel": _("Payment cancelled"),
}


@register.filter
def step_name(step: str) -> str:
    return str(STEP_NAMES.get(step, step))


@register.filter
def bar_width(per_hundred: float | None) -> str:
    """A CSS width in percent, at most 100, with a dot whatever the language."""
    return f"{min(100.0, per_hundred or 0.0):.1f}"


@register.filter
def hour_range(hour: int) -> str:
    """« 14 h – 15 h » / "14:00–15:00"."""
    from django.utils.translation import get_language

    if (get_language() or "fr").startswith("fr"):
        return f"{hour} h – {(hour + 1) % 24} h"
    return f"{hour:02d}:00–{(hour + 1) % 24:02d}:00"
