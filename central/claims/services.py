"""Claims: filed from a verified receipt, validated by the association, issued with a number
(sequential per association and year), emailed, and withdrawn by the donor."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from central.catalog.models import Association, Project
from central.claims import pdf
from central.claims.models import AnnualReceipt, Claim, ClaimAction, ReceiptCounter, new_token
from central.claims.words import amount_in_words
from central.donations.models import Donation
from central.receipts.donor import long_date, money
from central.receipts.signing import SignedReceipt


class AlreadyClaimed(Exception):
    """This donation has a claim already (one per donation)."""


class NotIssuable(Exception):
    """The claim cannot be issued (yet): the reason says why."""


def file_claim(signed: SignedReceipt, name: str, address: str, email: str) -> Claim:
    project = Project.objects.filter(project_id=signed.project_id).first()
    try:
        with transaction.atomic():
            return Claim.objects.create(
                device_id=signed.device_id, donation_id=signed.donation_id,
                amount_cents=signed.amount_cents, currency=signed.currency,
                project_ref=signed.project_id,
                association=project.association if project else None,
                name=name, address=address, email=email)
    except IntegrityError:
        raise AlreadyClaimed() from None


def record(user: AbstractBaseUser | None, action: str, claim: Claim, command: str = "",
           **detail: Any) -> ClaimAction:
    """One row of the claims' audit: ``user`` in the back office, else ``command`` (the
    management command that acted)."""
    return ClaimAction.objects.create(
        user=user, username=user.get_username() if user else command, action=action,
        association_id=claim.association_id, detail={"claim": claim.pk, **detail})


def validate(claim: Claim, user: AbstractBaseUser | None, command: str = "") -> bool:
    """Filed → validated, recorded with who did it; False when it was not filed (any more)."""
    with transaction.atomic():
        done = Claim.objects.filter(pk=claim.pk, status=Claim.FILED).update(
            status=Claim.VALIDATED, validated_at=timezone.now())
        if done:
            record(user, ClaimAction.VALIDATE, claim, command)
    return bool(done)


def donation_for(claim: Claim) -> Donation:
    """The donation as the kiosk sent it: it must have arrived, approved, for this amount."""
    found = Donation.objects.filter(device__device_id=claim.device_id,
                                    donation_id=claim.donation_id).first()
    if found is None:
        raise NotIssuable(_("the kiosk has not sent this donation yet"))
    if found.state != "approved" or found.amount_cents != claim.amount_cents \
            or found.currency != claim.currency:
        raise NotIssuable(_("the donation as received (%(state)s, %(amount)s) does not "
                            "match the claim") % {"state": found.state,
                                                  "amount": money(found.amount_cents,
                                                                  found.currency)})
    return found


def next_number(association: Association, year: int) -> int:
    """The next number in the (association, year) sequence. Inside the caller's transaction:
    the counter row stays locked until it commits, so a concurrent issuer waits, and a
    rolled-back issue gives its number back (no gap)."""
    ReceiptCounter.objects.bulk_create([ReceiptCounter(association=association, year=year)],
                                       ignore_conflicts=True)
    counter = ReceiptCounter.objects.select_for_update().get(association=association,
                                                             year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def issue(claim_pk: int, base_url: str, user: AbstractBaseUser | None,
          command: str = "") -> tuple[Claim, bool]:
    """Number the claim, draw its PDF and email it (after commit), recorded with who did it
    in the same transaction. Idempotent: a claim issued already (by another process, say) is
    returned as it is, with False, and not recorded again."""
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim_pk)
        if claim.status in (Claim.ISSUED, Claim.WITHDRAWN):
            return claim, False
        if claim.status != Claim.VALIDATED:
            raise NotIssuable(_("validate the claim first"))
        if claim.association is None:
            raise NotIssuable(_("no association holds the project %(project)s")
                              % {"project": claim.project_ref})
        donation = donation_for(claim)
        now = timezone.now()
        # The gift's date: the kiosk's clock when the donation was made (the server's, when
        # it received it, is later by the time the kiosk was offline).
        gift_date = timezone.localtime(donation.created_at).date()
        year = gift_date.year
        claim.receipt_year, claim.receipt_seq = year, next_number(claim.association, year)
        claim.gift_date, claim.issued_at, claim.status = gift_date, now, Claim.ISSUED
        claim.pdf = pdf.render(receipt_text(claim, now.date()))
        claim.save()
        record(user, ClaimAction.ISSUE, claim, command, receipt=claim.receipt_number)
        transaction.on_commit(lambda: send_receipt(claim, base_url))
    return claim, True


def receipt_text(claim: Claim, issued_on: datetime.date) -> pdf.ReceiptText:
    a = claim.association
    assert a is not None and claim.gift_date is not None
    return pdf.ReceiptText(**receipt_fields(claim, a, claim.amount_cents, claim.currency),
                           gift_date=long_date(claim.gift_date, "fr"),
                           issued_on=long_date(issued_on, "fr"))


def receipt_fields(receipt: Claim | AnnualReceipt, association: Association, cents: int,
                   currency: str) -> dict[str, str]:
    """What every receipt (single or annual) says, in French: its number, the association,
    the donor and the amount in figures and words."""
    return {"number": receipt.receipt_number, "association": association.name,
            "association_address": association.address,
            "association_purpose": association.purpose,
            "association_registration": association.registration,
            "association_kind": association.kind, "signatory": association.signatory,
            "donor_name": receipt.name, "donor_address": receipt.address,
            "amount": money(cents, currency, "fr"),
            "amount_words": amount_in_words(cents, currency)}


def claim_links(claim: Claim, base_url: str) -> dict[str, Any]:
    page = base_url.rstrip("/") + reverse("claim", args=[claim.token])
    return {"page": page, "pdf": base_url.rstrip("/") + reverse("claim_pdf", args=[claim.token])}


def send_receipt(claim: Claim, base_url: str) -> None:
    send_tax_receipt(claim.email, claim.receipt_number, bytes(claim.pdf or b""),
                     "claims/receipt_email.txt",
                     {"claim": claim, "links": claim_links(claim, base_url),
                      "association": claim.association.name if claim.association else "",
                      "amount": money(claim.amount_cents, claim.currency, "fr")},
                     subject="Votre reçu fiscal n° {number}")


def send_tax_receipt(to: str, number: str, pdf_bytes: bytes, template: str,
                     context: dict[str, Any], *, subject: str) -> None:
    """Email a receipt (single or annual) with its PDF, in French: the receipt is a French tax
    document; the links lead to the bilingual page. ``subject`` has a ``{number}``."""
    with translation.override("fr"):
        body = render_to_string(template, context)
    message = EmailMessage(subject.format(number=number), body, settings.DEFAULT_FROM_EMAIL,
                           [to])
    message.attach(f"recu-{number}.pdf", pdf_bytes, "application/pdf")
    message.send()


def withdraw(claim: Claim) -> None:
    """Delete the claim and everything the donor typed. Once issued, the receipt is a tax
    document the association must keep (livre des procédures fiscales, art. L102 E): then only
    the email and the private link go, and the copy is kept until its retention ends."""
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        if locked.status in (Claim.ISSUED, Claim.WITHDRAWN):
            locked.status, locked.email, locked.token = Claim.WITHDRAWN, "", new_token()
            locked.save(update_fields=["status", "email", "token"])
        else:
            locked.delete()
