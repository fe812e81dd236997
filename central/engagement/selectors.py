"""Reading asks and pledges: those open for a catalog, one by its public token, the back
office's scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet

from central.accounts import selectors as scopes
from central.accounts.selectors import User
from central.engagement.models import Ask, Pledge, PledgeSignature, Signup


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


def with_pledge_counts(pledges: QuerySet[Pledge]) -> QuerySet[Pledge]:
    """``confirmed``: the signatures that count (an unconfirmed email does not)."""
    return pledges.annotate(confirmed=Count("signatures",
                                            filter=Q(signatures__confirmed_at__isnull=False)))


def open_pledges(project_pks: Iterable[int], today: dt.date) -> dict[int, Pledge]:
    """Per project, its newest pledge whose deadline has not passed (``confirmed``
    annotated), reached or not: a kiosk shows a reached pledge as reached. One query."""
    found: dict[int, Pledge] = {}
    pledges = with_pledge_counts(Pledge.objects.filter(
        project_id__in=list(project_pks), deadline__gte=today)).order_by("-created_at", "-pk")
    for pledge in pledges:
        found.setdefault(pledge.project_id, pledge)
    return found


def pledge_by_token(token: str, today: dt.date) -> Pledge | None:
    """The pledge of a page, until its signatures are pruned (then its count is gone)."""
    kept_since = today - dt.timedelta(days=settings.CENTRAL_PLEDGE_RETENTION_DAYS)
    return with_pledge_counts(Pledge.objects.select_related("project__association")).filter(
        token=token, project__active=True, deadline__gte=kept_since).first()


def pledges_for_user(user: User) -> QuerySet[Pledge]:
    """Network admins see every pledge; an association the pledges of its projects."""
    return Pledge.objects.filter(project__association__in=scopes.associations(user))


def signatures_for_user(user: User) -> QuerySet[PledgeSignature]:
    return PledgeSignature.objects.filter(pledge__in=pledges_for_user(user))


def signature_by_link(token_sha256: str) -> PledgeSignature | None:
    return PledgeSignature.objects.filter(token_sha256=token_sha256).first()
