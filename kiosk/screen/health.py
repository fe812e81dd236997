"""Can the kiosk take a donation right now? (plain Python, run on the screen's I/O thread)

Combines the bridge's ``status`` answer with the ledger's guards, reads the sync service's
online flag and the receipt key, and writes the screen's ``kiosk`` service-status row
(docs/internal-apis.md section 1) so the heartbeat and ``kioskctl status`` can report it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kiosk.core.ledger import GuardRefused, LedgerError

if TYPE_CHECKING:
    from kiosk.core.ledger import Ledger
    from kiosk.payment.client import BridgeStatus
    from kiosk.payment.runner import PaymentPort

log = logging.getLogger("kiosk.screen.health")


@dataclass(frozen=True)
class Health:
    available: bool
    reason: str | None  # for the operator; the donor only sees "giving is unavailable"
    online: bool
    receipt_key: str | None
    status_row: dict[str, Any] | None = None  # a JSON row of the ledger's service_status


@dataclass(frozen=True)
class TerminalReading:
    """One reading of the bridge: its status, or why it could not be asked."""

    status: BridgeStatus | None  # None: the bridge could not be asked
    error: str | None = None

    @property
    def reachable(self) -> bool:
        return self.status is not None

    @property
    def connected(self) -> bool:
        return self.status is not None and self.status.connected

    @property
    def last_error(self) -> str | None:
        return self.error if self.status is None else self.status.last_error


def terminal_problem(terminal: TerminalReading | None, has_port: bool) -> str | None:
    if not has_port:
        return "terminal: no bridge client installed"
    if terminal is None:
        return "terminal: no status yet"
    if not terminal.reachable:
        return f"terminal: bridge unreachable ({terminal.last_error or 'no answer'})"
    if not terminal.connected:
        return f"terminal: not connected ({terminal.last_error or 'no answer'})"
    return None


def read_terminal(port: PaymentPort | None) -> TerminalReading | None:
    """Ask the bridge for its status; an absent or broken bridge is a finding, not an error."""
    if port is None:
        return None
    try:
        return TerminalReading(port.status())
    except Exception as e:  # noqa: BLE001 - an absent bridge is a health finding
        return TerminalReading(None, str(e))


def first_check(ledger: Ledger, port: PaymentPort | None, min_amount_cents: int) -> Health:
    """The screen's first health check, run while Kivy starts (mostly waiting on the bridge's
    socket and the disk), so the first frame already shows whether giving is available.

    Donations left pending by a crash are resolved here first, through the bridge's
    ``result``: a payment that is still running on the bridge keeps giving unavailable (a new
    one would only be refused as busy), and no donation starts before the old ones are
    recorded. The periodic checks that follow run only on the attract loop."""
    terminal = read_terminal(port)
    blocked = None
    if port is not None and terminal is not None and terminal.reachable:
        blocked = resolve_at_start(ledger, port)
    return check_health(ledger, terminal, min_amount_cents, port is not None, blocked=blocked)


def resolve_at_start(ledger: Ledger, port: PaymentPort) -> str | None:
    """Resolve pending donations; a sentence for the operator if some stay pending."""
    from kiosk.payment.recovery import resolve_pending

    try:
        if not ledger.pending():
            return None
        outcome = resolve_pending(ledger, port)
    except Exception as e:  # noqa: BLE001 - a ledger error shows in the guards below
        log.exception("cannot resolve pending donations at start-up")
        return f"pending donations not resolved: {e}"
    for donation_id, state in outcome.resolved.items():
        log.info("recovered donation %s at start-up: %s", donation_id, state)
    if outcome.still_pending:
        why = outcome.error or "the bridge is still running its payment"
        return (f"pending donations not resolved: {len(outcome.still_pending)} "
                f"({why})")
    return None


def check_health(ledger: Ledger, terminal: TerminalReading | None, min_amount_cents: int,
                 has_port: bool = True, previous_row: dict[str, Any] | None = None, *,
                 blocked: str | None = None) -> Health:
    """``previous_row``: the status row written last time; it is only rewritten on change,
    to spare the SD card a write every few seconds. ``blocked``: another reason giving is
    unavailable (pending donations not resolved yet)."""
    reason = terminal_problem(terminal, has_port) or blocked
    online, receipt_key, row = True, None, None
    try:
        if reason is None:
            ledger.check_guards(min_amount_cents)
    except GuardRefused as e:
        reason = f"ledger guard {e.code}: {e}"
    except (LedgerError, OSError) as e:
        reason = f"ledger unavailable: {e}"
    except Exception as e:  # noqa: BLE001 - sqlite errors: the database cannot be trusted now
        reason = f"ledger unavailable: {e}"
    try:
        key = ledger.get_setting("receipt_key")
        receipt_key = key if isinstance(key, str) and key else None
        sync = ledger.service_status().get("sync") or {}
        online = bool(sync.get("online", True))
        row = {"terminal": {"connected": bool(terminal and terminal.connected),
                            "last_error": terminal.last_error if terminal else None},
               "out_of_service": reason}
        if row != previous_row:
            ledger.set_service_status("kiosk", row)
    except Exception as e:  # noqa: BLE001 - cannot even write status: out of service
        log.warning("cannot read or write the ledger: %s", e)
        reason = reason or f"ledger unavailable: {e}"
    return Health(available=reason is None, reason=reason, online=online,
                  receipt_key=receipt_key, status_row=row)
