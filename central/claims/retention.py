"""Personal data of claims kept only as long as the law asks (docs/receipts.md): a claim
never issued is deleted after CENTRAL_UNISSUED_CLAIM_RETENTION_DAYS; an issued receipt's
copy (single or annual) is erased CENTRAL_RECEIPT_RETENTION_YEARS after its issue, keeping
its number, amount and dates so the sequence has no gap and the accounts still add up."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from central.claims.models import AnnualReceipt, Claim, new_token


@dataclass(frozen=True)
class Pruned:
    deleted_claims: int
    erased_claims: int
    erased_annual: int


def years_before(moment: datetime.datetime, years: int) -> datetime.datetime:
    """The same day ``years`` earlier (29 February falls back to the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def prune_claims(now: datetime.datetime | None = None) -> Pruned:
    now = now or timezone.now()
    unissued_before = now - datetime.timedelta(
        days=settings.CENTRAL_UNISSUED_CLAIM_RETENTION_DAYS)
    issued_before = years_before(now, settings.CENTRAL_RECEIPT_RETENTION_YEARS)
    with transaction.atomic():
        deleted, _ = Claim.objects.filter(status__in=(Claim.FILED, Claim.VALIDATED),
                                          filed_at__lt=unissued_before).delete()
        erased = _erase_issued(Claim, issued_before, now)
        annual = _erase_issued(AnnualReceipt, issued_before, now)
    return Pruned(deleted, erased, annual)


def _erase_issued(model: type[Claim] | type[AnnualReceipt], issued_before: datetime.datetime,
                  now: datetime.datetime) -> int:
    """Erase the copies (claims' or annual receipts') issued before ``issued_before``; how
    many."""
    erased = 0
    kept = (model.ISSUED, model.WITHDRAWN)
    for row in model.objects.select_for_update().filter(status__in=kept,
                                                        issued_at__lt=issued_before):
        _erase(row, now)
        row.save(update_fields=["name", "address", "email", "token", "pdf", "status",
                                "erased_at"])
        erased += 1
    return erased


def _erase(row: Claim | AnnualReceipt, now: datetime.datetime) -> None:
    # The token is replaced too: an old private link then leads nowhere.
    row.name, row.address, row.email, row.pdf = "", "", "", None
    row.token, row.status, row.erased_at = new_token(), Claim.ERASED, now
