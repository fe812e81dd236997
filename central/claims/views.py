"""A claim's private page (its link is its only credential): where it stands, the PDF once
issued, and withdrawal with deletion of what the donor typed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from central.claims import annual as annual_receipts
from central.claims import selectors, services
from central.claims.models import AnnualReceipt, Claim
from central.receipts.donor import donor_page, long_date, money


def _claim(token: str) -> Claim:
    claim = selectors.by_token(token)
    if claim is None:
        raise Http404("no such claim")
    return claim


def _private_page(request: HttpRequest, found: Any, withdraw: Callable[[Any], bool],
                  page: Callable[[Any], HttpResponse]) -> HttpResponse:
    """A private link's page: gone when the link leads nowhere; on POST, withdrawal (which
    says whether the association keeps its copy); else the page itself."""
    if found is None:
        return render(request, "claims/gone.html", status=404)
    if request.method == "POST":
        return render(request, "claims/withdrawn.html", {"kept_copy": withdraw(found)})
    return page(found)


def _pdf_response(data: bytes, receipt_number: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="recu-{receipt_number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def _withdraw_claim(found: Claim) -> bool:
    # Once issued, the association keeps its copy: the page says so only then.
    kept = found.status in (Claim.ISSUED, Claim.WITHDRAWN)
    services.withdraw(found)
    return kept


def _withdraw_annual(found: AnnualReceipt) -> bool:
    annual_receipts.withdraw_annual(found)
    return True  # an annual receipt is issued: its copy is kept


@donor_page
@require_http_methods(["GET", "POST"])
def claim(request: HttpRequest, token: str) -> HttpResponse:
    def page(found: Claim) -> HttpResponse:
        return render(request, "claims/claim.html", {
            "claim": found, "issued": found.status == Claim.ISSUED,
            "validated": found.status == Claim.VALIDATED,
            "amount": money(found.amount_cents, found.currency),
            "association": found.association.name if found.association
            else found.project_ref,
            "issued_on": long_date(found.issued_at.date()) if found.issued_at else ""})

    return _private_page(request, selectors.by_token(token), _withdraw_claim, page)


@require_GET
def claim_pdf(request: HttpRequest, token: str) -> HttpResponse:
    found = _claim(token)
    # A gift in an annual receipt: the claim's link opens the receipt that lists it.
    data = found.annual.pdf if found.annual_id and found.annual else found.pdf
    if found.status != Claim.ISSUED or not data:
        raise Http404("not issued yet")
    return _pdf_response(bytes(data), found.receipt_number)


@donor_page
@require_http_methods(["GET", "POST"])
def annual(request: HttpRequest, token: str) -> HttpResponse:
    """An annual receipt's private page: the gifts it lists, its PDF, withdrawal."""

    def page(found: AnnualReceipt) -> HttpResponse:
        gifts = [{"date": long_date(c.gift_date), "amount": money(c.amount_cents, c.currency)}
                 for c in selectors.annual_gifts(found) if c.gift_date]
        return render(request, "claims/annual.html", {
            "receipt": found, "gifts": gifts, "total": money(found.total_cents, found.currency),
            "issued_on": long_date(found.issued_at.date())})

    return _private_page(request, selectors.annual_by_token(token), _withdraw_annual, page)


@require_GET
def annual_pdf(request: HttpRequest, token: str) -> HttpResponse:
    found = selectors.annual_by_token(token)
    if found is None or not found.pdf:
        raise Http404("no such receipt")
    return _pdf_response(bytes(found.pdf), found.receipt_number)
