"""Signing up to an ask: never more people than it needs, never the same person twice.
Pledging: one email counts once, after it is confirmed; the threshold is reached once."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from central.common import throttle
from central.devices.tokens import sha256_hex
from central.engagement.models import Ask, Pledge, PledgeSignature, Signup

log = logging.getLogger("central.engagement")


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


# -- pledges ----------------------------------------------------------------------------------


class PledgeClosed(Exception):
    """The pledge's deadline has passed."""


class SignThrottled(Exception):
    """Too many pledge sign-ups from this address; try again in ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"try again in {retry_after} s")
        self.retry_after = retry_after


PLEDGE_THROTTLE_SCOPE = "pledge-sign"


@dataclass(frozen=True)
class Confirmation:
    pledge: Pledge
    count: int  # confirmed signatures after this one
    already: bool  # the link had been followed before
    reached_before: bool  # the threshold was reached before this confirmation counted
    just_reached: bool  # this confirmation reached it


def sign_pledge(pledge_pk: int, email: str, first_name: str, language: str,
                client: str, base_url: str) -> None:
    """Mail ``email`` the link that confirms its signature (a new link each time; a confirmed
    email is told it already counts). The page answers the same whatever the case, so it
    says nothing of who pledged. Throttled per client address: each call sends a mail."""
    limit, window = settings.CENTRAL_PLEDGE_SIGNS_PER_WINDOW, settings.CENTRAL_PLEDGE_WINDOW_S
    wait = throttle.blocked_for(PLEDGE_THROTTLE_SCOPE, client, limit, window)
    if wait is not None:
        raise SignThrottled(wait)
    throttle.count(PLEDGE_THROTTLE_SCOPE, client, window)
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        pledge = Pledge.objects.select_for_update().get(pk=pledge_pk)
        if pledge.deadline < timezone.localdate():
            raise PledgeClosed
        signature, created = PledgeSignature.objects.get_or_create(
            pledge=pledge, email=email, defaults={
                "first_name": first_name, "language": language,
                "token_sha256": sha256_hex(token)})
        if not created and signature.confirmed_at is None:  # a fresh link; the old one goes
            signature.token_sha256, signature.language = sha256_hex(token), language
            signature.first_name = first_name or signature.first_name
            signature.save(update_fields=["token_sha256", "language", "first_name"])
    link = base_url.rstrip("/") + reverse("pledge_confirm", args=[token])
    template = "confirm" if signature.confirmed_at is None else "counted"
    _mail(signature, pledge, template, link=link)


def confirm_pledge(token: str) -> Confirmation | None:
    """Count the signature whose link this is (None: no such link), once. The pledge's row is
    locked while it is counted (PostgreSQL; SQLite transactions begin IMMEDIATE), so of two
    confirmations crossing the threshold at once exactly one sets ``reached_at``; everyone
    who had confirmed is then mailed once, after the commit."""
    with transaction.atomic():
        found = PledgeSignature.objects.filter(token_sha256=sha256_hex(token)) \
            .values_list("pk", "pledge_id").first()
        if found is None:
            return None
        pledge = Pledge.objects.select_for_update().select_related("project__association") \
            .get(pk=found[1])
        signature = PledgeSignature.objects.get(pk=found[0])
        now, already = timezone.now(), signature.confirmed_at is not None
        reached_before = pledge.reached_at is not None
        if not already:
            signature.confirmed_at = now
            if reached_before:  # the page tells them it is reached already
                signature.told_reached_at = now
            signature.save(update_fields=["confirmed_at", "told_reached_at"])
        count, just_reached = _reach_if_due(pledge, now)
    return Confirmation(pledge, count, already, reached_before, just_reached)


def settle_pledge(pledge_pk: int) -> None:
    """After an association edits a pledge (a lower threshold may be reached already)."""
    with transaction.atomic():
        _reach_if_due(Pledge.objects.select_for_update().get(pk=pledge_pk), timezone.now())


def _reach_if_due(pledge: Pledge, now: dt.datetime) -> tuple[int, bool]:
    """The confirmed count, and whether the pledge was reached just now: then ``reached_at``
    is set and every confirmed pledger not told yet is mailed once, after the commit. The
    caller holds the pledge's row lock."""
    count = pledge.signatures.filter(confirmed_at__isnull=False).count()
    if pledge.reached_at is not None or count < pledge.threshold:
        return count, False
    pledge.reached_at = now
    pledge.save(update_fields=["reached_at"])
    to_tell = list(pledge.signatures.filter(confirmed_at__isnull=False, told_reached_at=None))
    PledgeSignature.objects.filter(pk__in=[s.pk for s in to_tell]).update(told_reached_at=now)
    transaction.on_commit(lambda: _tell_reached(pledge, to_tell))
    return count, True


def _tell_reached(pledge: Pledge, signatures: list[PledgeSignature]) -> None:
    for signature in signatures:
        try:
            _mail(signature, pledge, "reached")
        except OSError:  # one unreachable mailbox must not keep the others from being told
            log.exception("could not tell pledge %s's signer %s", pledge.pk, signature.pk)


def _mail(signature: PledgeSignature, pledge: Pledge, kind: str, **extra: Any) -> None:
    with translation.override(signature.language):
        context = {"pledge": pledge, "project": pledge.project,
                   "first_name": signature.first_name, **extra}
        subject = render_to_string(f"engagement/pledge_{kind}_subject.txt", context).strip()
        body = render_to_string(f"engagement/pledge_{kind}_email.txt", context)
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [signature.email]).send()


def prune_pledges(retention_days: int | None = None) -> int:
    """Delete the signatures (emails, names) of pledges whose deadline is more than the
    retention period past; the pledge and whether it was reached stay. Returns how many."""
    days = settings.CENTRAL_PLEDGE_RETENTION_DAYS if retention_days is None \
        else retention_days
    deleted, _ = PledgeSignature.objects.filter(
        pledge__deadline__lt=timezone.localdate() - timedelta(days=days)).delete()
    return deleted
