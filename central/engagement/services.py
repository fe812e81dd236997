"""Signing up to an ask: never more people than it needs, never the same person twice."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from central.engagement.models import Ask, Signup


class NotOpen(Exception):
    """The ask is full or already past."""


class AlreadySignedUp(Exception):
    """This email or phone is already on the ask."""


def sign_up(ask_pk: int, first_name: str, email: str = "", phone: str = "") -> Signup:
    # The ask's row is locked (PostgreSQL; SQLite transactions begin IMMEDIATE) while it is
    # counted, so two phones taking the last place at once cannot both get it.
    with transaction.atomic():
        ask = Ask.objects.select_for_update().get(pk=ask_pk)
        if ask.starts_at <= timezone.now() or ask.signups.count() >= ask.needed:
            raise NotOpen
        try:
            with transaction.atomic():
                return Signup.objects.create(ask=ask, first_name=first_name, email=email,
                                             phone=phone)
        except IntegrityError:
            raise AlreadySignedUp from None
