"""What a back-office user may see, by role: every list in the back office goes through
these. Network admins see everything; an association its own projects and the donations to
them; a shop its own kiosks, projects listed and donations made on its kiosks; an operator
the whole fleet (devices and their health) but no money."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from central.accounts.models import Membership
from central.catalog.models import Association, Project, Shop
from central.devices.models import Device
from central.donations.models import Donation

User = AbstractBaseUser | AnonymousUser


def _memberships(user: User) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user)


def _is_network_admin(user: User) -> bool:
    return bool(getattr(user, "is_superuser", False)) or \
        _memberships(user).filter(role=Membership.NETWORK_ADMIN).exists()


def _ids(user: User, role: str, field: str) -> QuerySet:
    return _memberships(user).filter(role=role).values(field)


def associations(user: User) -> QuerySet[Association]:
    if _is_network_admin(user):
        return Association.objects.all()
    return Association.objects.filter(pk__in=_ids(user, Membership.ASSOCIATION,
                                                  "association"))


def projects(user: User) -> QuerySet[Project]:
    if _is_network_admin(user):
        return Project.objects.all()
    return Project.objects.filter(
        Q(association__in=_ids(user, Membership.ASSOCIATION, "association"))
        | Q(listings__shop__in=_ids(user, Membership.SHOP, "shop"))).distinct()


def shops(user: User) -> QuerySet[Shop]:
    if sees_fleet(user):  # every shop's kiosks are theirs to look after
        return Shop.objects.all()
    return Shop.objects.filter(pk__in=_ids(user, Membership.SHOP, "shop"))


def devices(user: User) -> QuerySet[Device]:
    if sees_fleet(user):
        return Device.objects.all()
    return Device.objects.filter(shop__in=_ids(user, Membership.SHOP, "shop"))


def donations(user: User) -> QuerySet[Donation]:
    if _is_network_admin(user):
        return Donation.objects.all()
    return Donation.objects.filter(
        Q(project__association__in=_ids(user, Membership.ASSOCIATION, "association"))
        | Q(device__shop__in=_ids(user, Membership.SHOP, "shop"))).distinct()


# -- the back office's own pages (central.backoffice) ---------------------------------------


def is_network_admin(user: User) -> bool:
    return _is_network_admin(user)


def sees_fleet(user: User) -> bool:
    """Network admins and operators look after the fleet (devices, health, enrollment)."""
    return _is_network_admin(user) or \
        _memberships(user).filter(role=Membership.OPERATOR).exists()


def sees_money(user: User) -> bool:
    """Everyone but an operator-only user has donations to look at (possibly none)."""
    return _is_network_admin(user) or _memberships(user).filter(
        role__in=[Membership.ASSOCIATION, Membership.SHOP]).exists()


def donation_scope(user: User) -> Q:
    """The condition :func:`donations` applies, for aggregates: the same rows without its
    DISTINCT, which would otherwise apply after GROUP BY (every join here is many-to-one, so
    no row is repeated)."""
    if _is_network_admin(user):
        return Q()
    if not user.is_authenticated:
        return Q(pk__in=[])
    return (Q(project__association__in=_ids(user, Membership.ASSOCIATION, "association"))
            | Q(device__shop__in=_ids(user, Membership.SHOP, "shop")))


def money_shops(user: User) -> QuerySet[Shop]:
    """The shops whose takings the user may see: all for a network admin, a shop owner's
    own; never an operator's (they see every shop, but no money)."""
    if _is_network_admin(user):
        return Shop.objects.all()
    return Shop.objects.filter(pk__in=_ids(user, Membership.SHOP, "shop"))
