"""Today at a glance: what the shop owner sees first in the settings.

Donations today (count and total of approved ones), the backlog not yet confirmed by the central
API, the last successful sync, and whatever needs the operator, in plain words. "Today" is the
local calendar day by the wall clock, which is informative only on a Pi (no real-time clock):
good enough for a glance, never used for order or identity.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kiosk.core.ledger import Ledger
from kiosk.owner.message import Message, msg


@dataclass(frozen=True)
class Glance:
    today_count: int
    today_cents: int
    backlog_count: int
    backlog_cents: int
    last_sync_at: dt.datetime | None  # local time of the last successful sync, if any
    sync_online: bool | None  # None: kiosk-sync has not reported yet
    attention: list[Message] = field(default_factory=list)  # plain words, most serious first


def _utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def local_day_bounds(day: dt.date, tz: dt.tzinfo | None = None) -> tuple[str, str]:
    """[start, end) of a local calendar day as the ledger's UTC text timestamps."""
    tz = tz or dt.datetime.now().astimezone().tzinfo
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return _utc_text(start), _utc_text(end)


def _parse_utc(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def glance(ledger: Ledger, day: dt.date | None = None, tz: dt.tzinfo | None = None) -> Glance:
    start, end = local_day_bounds(day or dt.date.today(), tz)
    count, cents = ledger.approved_between(start, end)
    backlog = ledger.backlog()
    unknown = ledger.unknown_unsynced_count()
    quarantined = ledger.quarantined_count()
    status = ledger.service_status()
    sync = status.get("sync", {})
    kiosk = status.get("kiosk", {})
    last = _parse_utc(sync.get("last_success_at"))

    attention: list[Message] = []
    if kiosk.get("out_of_service"):
        attention.append(msg("The kiosk is out of service: {reason}",
                             reason=kiosk["out_of_service"]))
    if unknown:
        attention.append(msg("Donations with an unknown outcome: {n}. The operator must check "
                             "them against the bank's report.", n=unknown))
    if quarantined:
        attention.append(msg("Donations refused by the server and kept aside for the operator: "
                             "{n}.", n=quarantined))
    attention.extend(msg("{alarm}", alarm=str(a)) for a in sync.get("alarms") or [])
    terminal = kiosk.get("terminal") or {}
    if terminal and not terminal.get("connected", True):
        attention.append(msg("The card terminal is not answering: check its cable and power."))
    return Glance(count, cents, backlog.count, backlog.cents,
                  last.astimezone(tz) if last else None,
                  sync.get("online") if "online" in sync else None, attention)
