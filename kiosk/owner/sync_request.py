"""« Synchroniser maintenant »: the screen asks kiosk-sync for a cycle through the ledger.

The screen has no network and no token, so it cannot sync itself. It bumps the setting
``sync_now_requested`` (an integer); kiosk-sync, between its cycles, notices it differs from
``sync_now_handled``, runs a full cycle (outbox, featured, heartbeat, catalog), then writes the
requested number into ``sync_now_handled``. The screen shows "synchronising…" until then.
"""

from __future__ import annotations

from kiosk.core.ledger import AuditEntry, Ledger, SettingChange
from kiosk.owner.pin_lock import ACTOR

REQUESTED = "sync_now_requested"
HANDLED = "sync_now_handled"


def request(ledger: Ledger) -> int:
    """Ask for a sync cycle now; returns the request number to wait for."""
    def bump(old: int | None) -> SettingChange:
        number = int(old or 0) + 1
        return SettingChange(number, AuditEntry(ACTOR, "sync_requested", {"request": number}))

    return ledger.update_setting(REQUESTED, bump, 0)


def waiting(ledger: Ledger) -> bool:
    """True while a request is not handled yet (read by the screen)."""
    return int(ledger.get_setting(REQUESTED, 0) or 0) > int(ledger.get_setting(HANDLED, 0) or 0)


def take(ledger: Ledger) -> int | None:
    """For kiosk-sync: the request number to handle now, or None if there is none."""
    number = int(ledger.get_setting(REQUESTED, 0) or 0)
    return number if number > int(ledger.get_setting(HANDLED, 0) or 0) else None


def done(ledger: Ledger, number: int) -> None:
    """For kiosk-sync, after a cycle that started after the request was taken."""
    ledger.set_setting(HANDLED, number)
