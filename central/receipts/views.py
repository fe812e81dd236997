"""The page a thank-you QR code opens (mobile first, in the phone's language): the gift, its
project and association, whether it has arrived; and the form asking for a tax receipt.
Nothing personal is shown here: the QR code was on a shop's screen for anyone to see."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from central.catalog.views import photo_url
from central.claims import selectors as claims
from central.claims import services as claim_services
from central.claims.forms import ClaimForm
from central.receipts import selectors
from central.receipts.donor import donor_page, long_date, money


def _status_text(status: str) -> str:
    return {
        selectors.CONFIRMED: _("Received: the association has your gift."),
        selectors.IN_TRANSIT: _("In transit (en cours de transmission): the kiosk has not "
                                "sent it yet; it will be confirmed as soon as it does "
                                "(confirmé dès que la borne l'aura transmis)."),
        selectors.UNCONFIRMED: _("Not confirmed: the kiosk reported this donation "
                                 "differently. The association will check it."),
    }[status]


@donor_page
@require_http_methods(["GET", "POST"])
def receipt(request: HttpRequest, device_id: str, donation_id: str) -> HttpResponse:
    signed = selectors.signed_receipt(device_id, donation_id, request.GET)
    if signed is None:
        return render(request, "receipts/invalid.html", status=400)
    shown = selectors.receipt(signed)
    claim = claims.for_donation(device_id, donation_id)
    can_claim = claim is None and shown.status != selectors.UNCONFIRMED
    form = ClaimForm(request.POST or None) if can_claim else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            filed = claim_services.file_claim(signed, **form.cleaned_data)
        except claim_services.AlreadyClaimed:
            return redirect(request.get_full_path())
        return redirect("claim", filed.token)
    project = shown.project
    context = {
        "amount": money(signed.amount_cents, signed.currency),
        "status": shown.status, "status_text": _status_text(shown.status),
        "date": long_date(shown.gift_date) if shown.gift_date else "",
        "shop": shown.shop,
        "project_title": project.title if project else signed.project_id,
        "association": project.association.name if project else "",
        "photo": photo_url(project) if project else "",
        "project_page": project.get_absolute_url() if project else "",
        "claimed": claim is not None, "form": form,
    }
    return render(request, "receipts/receipt.html", context,
                  status=400 if request.method == "POST" else 200)
