"""Annual receipts: one receipt per donor (their email, case folded) for all their validated
claims of a year to one association, numbered from the same per-year counter as single
receipts. A claim goes into one receipt only: the validated claims are locked in the
issuing transaction, and a single issue locks the claim and re-reads its status."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from central.catalog.models import Association
from central.claims import pdf
from central.claims.models import AnnualReceipt, Claim, ClaimAction
from central.claims.services import (
    NotIssuable,
    donation_for,
    next_number,
    receipt_fields,
    send_tax_receipt,
)
from central.receipts.donor import long_date, money


def issue_annual(user: AbstractBaseUser | None, association: Association, year: int,
                 base_url: str, command: str = "") -> list[AnnualReceipt]:
    """Issue the year's annual receipts of ``association``: every validated claim whose gift
    (as the kiosk sent it) falls in ``year`` and that no receipt holds yet. Recorded with who
    did it, in the same transaction; the emails go after commit. Claims whose donation has
    not arrived (or differs) wait for a later run. ``command``: who acted, when no user did
    (the issue-receipts command)."""
    now = timezone.now()
    with transaction.atomic():
        donors: dict[str, list[tuple[Claim, datetime.date]]] = defaultdict(list)
        for claim in Claim.objects.select_for_update().filter(
                association=association, status=Claim.VALIDATED).order_by("filed_at", "pk"):
            try:
                donation = donation_for(claim)
            except NotIssuable:
                continue
            gift_date = timezone.localtime(donation.created_at).date()
            if gift_date.year == year:
                donors[claim.email.strip().lower()].append((claim, gift_date))
        issued = [_issue_one(association, year, gifts, now) for gifts in donors.values()]
        ClaimAction.objects.create(
            user=user, username=user.get_username() if user else command,
            action=ClaimAction.ISSUE_ANNUAL,
            association=association,
            detail={"year": year, "receipts": [r.receipt_number for r in issued],
                    "claims": sum(len(g) for g in donors.values())})
        transaction.on_commit(lambda: [send_annual(r, base_url) for r in issued])
    return issued


def _issue_one(association: Association, year: int,
               gifts: list[tuple[Claim, datetime.date]], now: datetime.datetime
               ) -> AnnualReceipt:
    latest = max((claim for claim, _ in gifts), key=lambda c: (c.filed_at, c.pk))
    currencies = {claim.currency for claim, _ in gifts}
    if len(currencies) != 1:  # the kiosks of one network take one currency
        raise NotIssuable(f"gifts in several currencies: {sorted(currencies)}")
    receipt = AnnualReceipt.objects.create(
        association=association, receipt_year=year,
        receipt_seq=next_number(association, year), name=latest.name,
        address=latest.address, email=latest.email,
        total_cents=sum(claim.amount_cents for claim, _ in gifts),
        currency=currencies.pop(), issued_at=now)
    for claim, gift_date in gifts:
        claim.annual, claim.gift_date, claim.issued_at = receipt, gift_date, now
        claim.status = Claim.ISSUED
        claim.save(update_fields=["annual", "gift_date", "issued_at", "status"])
    receipt.pdf = pdf.render(annual_text(receipt, sorted(gifts, key=lambda g: g[1])))
    receipt.save(update_fields=["pdf"])
    return receipt


def annual_text(receipt: AnnualReceipt, gifts: list[tuple[Claim, datetime.date]]
                ) -> pdf.ReceiptText:
    return pdf.ReceiptText(
        **receipt_fields(receipt, receipt.association, receipt.total_cents, receipt.currency),
        gift_date=f"du 1er janvier au 31 décembre {receipt.receipt_year}",
        issued_on=long_date(receipt.issued_at.date(), "fr"),
        gifts=tuple((long_date(day, "fr"), money(claim.amount_cents, claim.currency, "fr"))
                    for claim, day in gifts))


def annual_links(receipt: AnnualReceipt, base_url: str) -> dict[str, str]:
    base = base_url.rstrip("/")
    return {"page": base + reverse("annual", args=[receipt.token]),
            "pdf": base + reverse("annual_pdf", args=[receipt.token])}


def send_annual(receipt: AnnualReceipt, base_url: str) -> None:
    send_tax_receipt(receipt.email, receipt.receipt_number, bytes(receipt.pdf or b""),
                     "claims/annual_email.txt",
                     {"receipt": receipt, "links": annual_links(receipt, base_url),
                      "association": receipt.association.name,
                      "amount": money(receipt.total_cents, receipt.currency, "fr")},
                     subject="Votre reçu fiscal annuel n° {number}")


def withdraw_annual(receipt: AnnualReceipt) -> None:
    """Issued: the association keeps the copy; the email and the private links go (the
    receipt's and its claims')."""
    from central.claims.models import new_token

    with transaction.atomic():
        locked = AnnualReceipt.objects.select_for_update().get(pk=receipt.pk)
        locked.status, locked.email, locked.token = AnnualReceipt.WITHDRAWN, "", new_token()
        locked.save(update_fields=["status", "email", "token"])
        for claim in Claim.objects.select_for_update().filter(annual=locked):
            claim.status, claim.email, claim.token = Claim.WITHDRAWN, "", new_token()
            claim.save(update_fields=["status", "email", "token"])
