"""Reading sponsors: those still matching for a catalog, the back office's scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import F, QuerySet

from central.accounts import selectors as scopes
from central.accounts.selectors import User
from central.sponsors.models import Sponsor

CURRENCY = "EUR"  # budgets are in euros; only gifts in euros are matched


def matching(project_pks: Iterable[int], today: dt.date) -> dict[int, Sponsor]:
    """Per project, its sponsor if it still matches: not past its last day, budget left, and a
    project in euros. One query."""
    return {s.project_id: s for s in Sponsor.objects.filter(
        project_id__in=list(project_pks), ends_on__gte=today, project__currency=CURRENCY,
        matched_cents__lt=F("budget_cents"))}


def for_user(user: User) -> QuerySet[Sponsor]:
    """Network admins see every sponsor; an association the sponsors of its projects."""
    return Sponsor.objects.filter(project__association__in=scopes.associations(user))
