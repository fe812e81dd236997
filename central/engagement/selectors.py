"""Reading asks: those open for a catalog, one by its public token, the back office's scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, F, QuerySet

from central.accounts import selectors as scopes
from central.accounts.selectors import User
from central.engagement.models import Ask, Signup


def with_counts(asks: QuerySet[Ask]) -> QuerySet[Ask]:
    return asks.annotate(signed_up=Count("signups"))


def open_asks(project_pks: Iterable[int], now: dt.datetime) -> dict[int, list[Ask]]:
    """Per project, its asks still to come with places left (``signed_up`` annotated), soonest
    first: a full or past ask is not shown on any kiosk. One query."""
    found: dict[int, list[Ask]] = {}
    asks = (with_counts(Ask.objects.filter(project_id__in=list(project_pks), starts_at__gt=now))
            .filter(signed_up__lt=F("needed")).order_by("starts_at", "pk"))
    for ask in asks:
        found.setdefault(ask.project_id, []).append(ask)
    return found


def by_token(token: str) -> Ask | None:
    return with_counts(Ask.objects.select_related("project__association")).filter(
        token=token, project__active=True).first()


def for_user(user: User) -> QuerySet[Ask]:
    """Network admins see every ask; an association the asks of its projects."""
    return Ask.objects.filter(project__association__in=scopes.associations(user))


def signups_for_user(user: User) -> QuerySet[Signup]:
    return Signup.objects.filter(ask__in=for_user(user))
