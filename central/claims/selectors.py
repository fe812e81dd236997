"""Reading claims: by private token, by donation, and the back office's scope by role."""

from __future__ import annotations

from django.db.models import QuerySet

from central.accounts import selectors as scopes
from central.accounts.selectors import User
from central.claims.models import AnnualReceipt, Claim, ClaimAction


def for_user(user: User) -> QuerySet[Claim]:
    """Network admins see every claim; an association the claims for its projects."""
    return Claim.objects.filter(association__in=scopes.associations(user)) \
        if not getattr(user, "is_superuser", False) else Claim.objects.all()


def recent_actions(user: User, limit: int = 50) -> QuerySet[ClaimAction]:
    """What was done to the claims this user may see, newest first: validations, single
    and annual issues (network admins also see those on claims of no association)."""
    actions = ClaimAction.objects.select_related("association")
    if not getattr(user, "is_superuser", False):
        actions = actions.filter(association__in=scopes.associations(user))
    return actions[:limit]


def by_token(token: str) -> Claim | None:
    return Claim.objects.filter(token=token).first() if token else None


def for_donation(device_id: str, donation_id: str) -> Claim | None:
    return Claim.objects.filter(device_id=device_id, donation_id=donation_id).first()


def annual_by_token(token: str) -> AnnualReceipt | None:
    return AnnualReceipt.objects.filter(token=token).select_related("association").first() \
        if token else None


def annual_gifts(receipt: AnnualReceipt) -> list[Claim]:
    """The gifts an annual receipt lists, oldest first."""
    return list(receipt.claims.order_by("gift_date", "pk"))
