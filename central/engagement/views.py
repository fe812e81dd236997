"""The page an ask's QR code opens on a person's phone: the ask, and the sign-up form."""

from __future__ import annotations

from typing import Any

from babel.dates import format_datetime
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.http import require_http_methods

from central.engagement import selectors, services
from central.engagement.forms import SignupForm
from central.engagement.models import Ask
from central.receipts.donor import donor_page


def _ask_context(ask: Ask) -> dict[str, Any]:
    hours, minutes = divmod(ask.duration_minutes, 60)
    return {
        "ask": ask, "project": ask.project,
        "when": format_datetime(timezone.localtime(ask.starts_at), "EEEE d MMMM, HH:mm",
                                locale=translation.get_language()),
        "duration": f"{hours} h {minutes:02d}" if hours else f"{minutes} min",
        "signed_up": ask.signed_up, "needed": ask.needed,
    }


@donor_page
@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest, token: str) -> HttpResponse:
    found = selectors.by_token(token)
    if found is None:
        return render(request, "engagement/gone.html", status=404)
    context = _ask_context(found)
    is_open = found.signed_up < found.needed and found.starts_at > timezone.now()
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and is_open and form.is_valid():
        kind, value = form.cleaned_data["contact"]
        try:
            signup = services.sign_up(found.pk, form.cleaned_data["first_name"],
                                      **{kind: value})
        except services.AlreadySignedUp:
            return render(request, "engagement/signed_up.html",
                          {**context, "first_name": form.cleaned_data["first_name"],
                           "again": True})
        except services.NotOpen:
            return render(request, "engagement/full.html", context, status=409)
        return render(request, "engagement/signed_up.html",
                      {**context, "first_name": signup.first_name, "again": False})
    if not is_open:  # a form sent after the last place went: 409, as from the service
        return render(request, "engagement/full.html", context,
                      status=409 if request.method == "POST" else 200)
    return render(request, "engagement/ask.html", {**context, "form": form})
