"""The page a thank-you QR code opens: is this receipt genuine, and has the donation
arrived? (Minimal: the donor pages are built elsewhere.)"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from central.devices.selectors import receipt_keys
from central.donations.selectors import donation
from central.receipts.signing import verify


def _euros(amount: str) -> str:
    return f"{int(amount) // 100},{int(amount) % 100:02d}"


@require_GET
def receipt(request: HttpRequest, device_id: str, donation_id: str) -> HttpResponse:
    q = request.GET
    amount, currency = q.get("amount", ""), q.get("currency", "")
    valid = verify(receipt_keys(device_id), device_id, donation_id, amount, currency,
                   q.get("project", ""), q.get("sig", ""), q.get("v", "1"))
    stored = donation(device_id, donation_id) if valid else None
    received = bool(stored and stored.state == "approved" and str(stored.amount_cents) == amount)
    context = {"valid": valid, "received": received,
               "amount": _euros(amount) if valid else "", "currency": currency}
    return render(request, "receipts/receipt.html", context, status=200 if valid else 400)
