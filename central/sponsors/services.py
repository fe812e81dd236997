"""Matching a batch of gifts against the projects' sponsors, inside the batch transaction."""

from __future__ import annotations

from django.db.models import Case, F, Value, When
from django.db.models.functions import Least
from django.utils import timezone

from central.sponsors.models import Sponsor
from central.sponsors.selectors import CURRENCY


def match(approved: dict[tuple[int, str], int]) -> None:
    """Add a batch's new approved gifts ({(project pk, currency): cents}) to their projects'
    sponsors, each capped at its budget, in one UPDATE.

    The cap is computed by the database on the row it updates (LEAST of the budget and the
    new sum): on PostgreSQL a concurrent batch waits for the row lock and re-reads the row,
    so two kiosks can never spend the same euro twice; SQLite holds the write lock for the
    whole batch. Matching the batch's sum up to what is left is the same as matching each
    gift in turn up to what is left. Only new donations reach here: a re-sent one is a
    duplicate and is never matched again."""
    cents = {pk: amount for (pk, currency), amount in approved.items() if currency == CURRENCY}
    if not cents:
        return
    field = Sponsor._meta.get_field("matched_cents")
    if len(cents) == 1:
        added: Value | Case = Value(next(iter(cents.values())))
    else:
        added = Case(*(When(project_id=pk, then=Value(c)) for pk, c in cents.items()),
                     default=Value(0), output_field=field)
    Sponsor.objects.filter(project_id__in=list(cents), ends_on__gte=timezone.localdate(),
                           project__currency=CURRENCY).update(
        matched_cents=Least(F("budget_cents"), F("matched_cents") + added))
