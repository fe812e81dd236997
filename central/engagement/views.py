"""The pages a kiosk's QR codes open on a person's phone: an ask and its sign-up form; a
pledge, its form, and the confirmation its email links to."""

from __future__ import annotations

from typing import Any

from babel.dates import format_date, format_datetime
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.http import require_http_methods

from central.common.http import client_address
from central.devices.tokens import sha256_hex
from central.engagement import selectors, services
from central.engagement.forms import PledgeForm, SignupForm
from central.engagement.models import Ask, Pledge
from central.receipts.donor import donor_page


def _ask_context(ask: Ask) -> dict[str, Any]:
    hours, minutes = divmod(ask.duration_minutes, 60)
    return {
        "ask": ask, "project": ask.project,
        "when": format_datetime(timezone.localtime(ask.starts_at), "EEEE d MMMM, HH:mm",
                                locale=translation.get_language()),
        "duration": f"{hours} h {minutes:02d}" if hours else f"{minutes} min",
        "signed_up": ask.signed_up, "needed": ask.needed,
        "percent": min(100, ask.signed_up * 100 // ask.needed),
    }


def _recounted(ask: Ask) -> dict[str, Any]:
    """The page's context after a sign-up was tried: the count as it is now, this person's
    place or the last one taken meanwhile included."""
    return _ask_context(selectors.by_token(ask.token) or ask)


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
                          {**_recounted(found), "first_name": form.cleaned_data["first_name"],
                           "again": True})
        except services.NotOpen:  # the last place went while this person typed
            return render(request, "engagement/full.html", _recounted(found), status=409)
        return render(request, "engagement/signed_up.html",
                      {**_recounted(found), "first_name": signup.first_name, "again": False})
    if not is_open:  # a form sent after the last place went: 409, as from the service
        return render(request, "engagement/full.html", context,
                      status=409 if request.method == "POST" else 200)
    return render(request, "engagement/ask.html", {**context, "form": form})


def _pledge_context(pledge: Pledge, count: int) -> dict[str, Any]:
    return {
        "pledge": pledge, "project": pledge.project, "count": count,
        "threshold": pledge.threshold, "reached": pledge.reached_at is not None,
        "percent": min(100, count * 100 // pledge.threshold),
        "deadline": format_date(pledge.deadline, "long", locale=translation.get_language()),
        "is_open": pledge.deadline >= timezone.localdate(),
    }


@donor_page
@require_http_methods(["GET", "POST"])
def pledge(request: HttpRequest, token: str) -> HttpResponse:
    found = selectors.pledge_by_token(token, timezone.localdate())
    if found is None:
        return render(request, "engagement/pledge_gone.html", status=404)
    context = _pledge_context(found, found.confirmed)
    form = PledgeForm(request.POST if request.method == "POST" else None)
    if not context["is_open"]:
        return render(request, "engagement/pledge_closed.html", context,
                      status=409 if request.method == "POST" else 200)
    if request.method == "POST" and form.is_valid():
        base_url = settings.CENTRAL_PUBLIC_URL or request.build_absolute_uri("/")
        try:
            services.sign_pledge(found.pk, form.cleaned_data["email"],
                                 form.cleaned_data["first_name"], translation.get_language(),
                                 client_address(request), base_url)
        except services.SignThrottled as e:
            response = render(request, "engagement/pledge.html",
                              {**context, "form": form, "throttled": True}, status=429)
            response["Retry-After"] = str(e.retry_after)
            return response
        except services.PledgeClosed:
            return render(request, "engagement/pledge_closed.html", context, status=409)
        return render(request, "engagement/pledge_sent.html",
                      {**context, "email": form.cleaned_data["email"]})
    return render(request, "engagement/pledge.html", {**context, "form": form},
                  status=400 if request.method == "POST" else 200)


@donor_page
@require_http_methods(["GET", "POST"])
def pledge_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link shows a button; only pressing it counts the pledge (a mail scanner
    that follows links does not pledge for anyone). Pressing it again changes nothing."""
    if request.method == "GET":
        if selectors.signature_by_link(sha256_hex(token)) is None:
            return render(request, "engagement/pledge_gone.html", status=404)
        return render(request, "engagement/pledge_confirm.html")
    done = services.confirm_pledge(token)
    if done is None:
        return render(request, "engagement/pledge_gone.html", status=404)
    return render(request, "engagement/pledge_confirmed.html",
                  {**_pledge_context(done.pledge, done.count), "already": done.already,
                   "reached_before": done.reached_before, "just_reached": done.just_reached})
