"""Reconciliation's writes: a settlement file stored and matched, a decision on an unknown
outcome (the donation's state and the live totals corrected with it, in one transaction),
and its delivery to the kiosk until the kiosk's audit log acknowledges it."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from central.backoffice.models import StaffAction
from central.catalog.models import Project
from central.common.days import local_midnight
from central.devices.models import Device
from central.donations import daily
from central.donations.models import Donation
from central.reconciliation import settlement
from central.reconciliation.models import OutcomeDecision, SettlementFile, SettlementLine

# A kiosk's clock is informative only: donations are looked for this far around the file's
# days when a line carries the 10-digit Concert V2 form of a reference.
CLOCK_SLACK = dt.timedelta(days=3)
DELIVERY_BATCH = 50
KIOSK_APPLIED, KIOSK_REFUSED = "reconcile", "reconcile_refused"


class DecisionRefused(Exception):
    """The donation is not (or no longer) an unknown outcome waiting for a decision."""


def import_file(user: AbstractBaseUser, name: str, data: bytes) -> SettlementFile:
    """Decode (raises settlement.SettlementError), store and match a settlement file."""
    lines = settlement.decode(data)
    first, last = min(x.date for x in lines), max(x.date for x in lines)
    matches = _match(lines, first, last)
    with transaction.atomic():
        stored = SettlementFile.objects.create(
            uploaded_by=user, username=user.get_username(), name=name[:255],
            sha256=hashlib.sha256(data).hexdigest(), first_day=first, last_day=last)
        SettlementLine.objects.bulk_create([
            SettlementLine(file=stored, line=x.line, day=x.date,
                           terminal_reference=x.terminal_reference,
                           amount_cents=x.amount_cents, currency=x.currency,
                           auth_code=x.auth_code, donation_id=matches.get(x.line))
            for x in lines])
        StaffAction.objects.create(
            user=user, username=user.get_username(), action=StaffAction.UPLOAD_SETTLEMENT,
            detail={"file": stored.pk, "name": stored.name, "lines": len(lines),
                    "matched": len(matches)})
    return stored


def _match(lines: list[settlement.SettlementLine], first: dt.date,
           last: dt.date) -> dict[int, int]:
    """Line number → donation pk, when the reference names exactly one donation of the same
    amount and currency (a full uuid names it; a 10-digit prefix must be unambiguous among
    the donations made around the file's days)."""
    by_id: dict[str, tuple[int, int, str]] = {}
    full = [uuid.UUID(x.terminal_reference) for x in lines if len(x.terminal_reference) == 36]
    for start in range(0, len(full), 1000):
        for pk, donation_id, cents, currency in Donation.objects.filter(
                donation_id__in=full[start:start + 1000]).values_list(
                "pk", "donation_id", "amount_cents", "currency"):
            by_id[donation_id.hex] = (pk, cents, currency)
    by_prefix: dict[str, list[tuple[int, int, str]]] = {}
    if any(len(x.terminal_reference) == 10 for x in lines):
        window = Donation.objects.filter(
            created_at__gte=local_midnight(first) - CLOCK_SLACK,
            created_at__lt=local_midnight(last + dt.timedelta(days=1)) + CLOCK_SLACK)
        for pk, donation_id, cents, currency in window.values_list(
                "pk", "donation_id", "amount_cents", "currency").iterator(chunk_size=5000):
            by_prefix.setdefault(donation_id.hex[:10], []).append((pk, cents, currency))
    found: dict[int, int] = {}
    for x in lines:
        if len(x.terminal_reference) == 36:
            candidates = [c for c in [by_id.get(x.terminal_reference.replace("-", ""))] if c]
        else:
            candidates = by_prefix.get(x.terminal_reference, [])
        same = [pk for pk, cents, currency in candidates
                if cents == x.amount_cents and currency == x.currency]
        if len(same) == 1:
            found[x.line] = same[0]
    return found


def decide(user: AbstractBaseUser, donation: Donation, decision: str, note: str = "",
           line: SettlementLine | None = None) -> OutcomeDecision:
    """Record a person's decision on an unknown donation: its central state becomes the
    decision, an approval is added to its project's raised total, the daily roll-up moves it
    to its new state, and the action is audited, together. Raises DecisionRefused if it is
    not unknown or already decided."""
    if decision not in (OutcomeDecision.APPROVED, OutcomeDecision.DECLINED):
        raise ValueError(f"decision {decision!r}")
    with transaction.atomic():
        locked = Donation.objects.select_for_update().get(pk=donation.pk)
        if locked.state != "unknown" or OutcomeDecision.objects.filter(
                donation=locked).exists():
            raise DecisionRefused(locked.state)
        made = OutcomeDecision.objects.create(
            donation=locked, decision=decision, decided_by=user,
            username=user.get_username(), settlement_line=line, note=note)
        daily.move(locked, decision)
        locked.state = decision
        locked.save(update_fields=["state"])
        if decision == OutcomeDecision.APPROVED and locked.project_id is not None:
            # Live totals are kept in the project's currency, as at ingest.
            Project.objects.filter(pk=locked.project_id, currency=locked.currency).update(
                raised_cents=F("raised_cents") + locked.amount_cents)
        StaffAction.objects.create(
            user=user, username=user.get_username(), action=StaffAction.RESOLVE_OUTCOME,
            device_id=locked.device_id,
            detail={"donation_id": str(locked.donation_id), "decision": decision,
                    "settlement_line": line.pk if line else None, "note": note})
    return made


def deliveries(device: Device) -> list[dict[str, Any]]:
    """The decisions the kiosk has not acknowledged yet, for its heartbeat answer."""
    pending = (OutcomeDecision.objects.filter(donation__device=device, acknowledged_at=None)
               .select_related("donation", "settlement_line").order_by("pk")[:DELIVERY_BATCH])
    return [{"decision_id": d.pk, "donation_id": str(d.donation.donation_id),
             "decision": d.decision, "acquirer_reference": d.acquirer_reference,
             "decided_by": d.username,
             "decided_at": d.decided_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
             "note": d.note} for d in pending]


def acknowledge(device: Device, audit_rows: Iterable[dict[str, Any]]) -> int:
    """Mark the decisions that the kiosk's audit rows say it applied or refused; a row is
    the kiosk's own record, so a resent one changes nothing. Returns how many changed."""
    changed = 0
    now = timezone.now()
    for row in audit_rows:
        detail = row.get("detail")
        if row.get("action") not in (KIOSK_APPLIED, KIOSK_REFUSED) or \
                not isinstance(detail, dict) or type(detail.get("central_decision")) is not int:
            continue
        applied = row["action"] == KIOSK_APPLIED
        changed += OutcomeDecision.objects.filter(
            pk=detail["central_decision"], donation__device=device,
            acknowledged_at=None).update(
            acknowledged_at=now,
            device_answer=OutcomeDecision.APPLIED if applied else OutcomeDecision.REFUSED,
            device_detail="" if applied else str(detail.get("reason", ""))[:2000])
    return changed
