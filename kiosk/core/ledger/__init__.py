"""The donation ledger: the one place a donation's existence and state are recorded, and the
one place that writes SQL for donations, settings, the audit log, service status and the
catalog cache. Every other module calls a named method of :class:`Ledger`.

The invariant it serves: no approved donation is ever lost or counted twice. A donation is
committed ``pending`` before any payment starts, moves exactly once to a final state, and is
only ever pruned after the central API has confirmed it.

:class:`Ledger` is a facade over one part per concern: :mod:`.donations` (the donation's life,
reads, retention), :mod:`.outbox` (sync bookkeeping), :mod:`.catalog_cache` (catalog and
featured choice), :mod:`.settings` (owner settings, service status), :mod:`.audit_log`,
:mod:`.engagement` (anonymous hourly counts).
Durable writes are raw ``sqlite3`` in ``BEGIN IMMEDIATE`` (:func:`kiosk.core.db.immediate`):
sqlite-utils' transactions begin DEFERRED, which can fail a lock upgrade under a concurrent
writer instead of waiting. sqlite-utils serves the schema, introspection and exports.

Example (runnable)::

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> ledger = Ledger.open(d / "kiosk.db", Limits(max_donation_cents=5000,
    ...                      offline_cap_cents=100000, min_free_disk_bytes=0))
    >>> donation = ledger.create_pending("proj-1", 500, "EUR")
    >>> donation.state, donation.seq
    ('pending', 1)
    >>> ledger.finish(donation.id, "approved", auth_code="A1B2C3", card_suffix="4242").state
    'approved'
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from kiosk.core import db as dbmod
from kiosk.core.ledger.audit_log import AuditLog
from kiosk.core.ledger.catalog_cache import CatalogCache
from kiosk.core.ledger.donations import Donations
from kiosk.core.ledger.engagement import Engagement
from kiosk.core.ledger.integrity import (
    integrity_check,
    looks_corrupt,
    move_aside,
    out_of_service_reason,
    quick_check,
)
from kiosk.core.ledger.outbox import Outbox
from kiosk.core.ledger.records import (
    FEATURED_VERSION,
    FINAL_STATES,
    OUT_OF_SERVICE_MARKER,
    TRANSITIONS,
    AuditEntry,
    Backlog,
    Donation,
    GuardRefused,
    IllegalTransition,
    LedgerCorrupt,
    LedgerError,
    LedgerUnavailable,
    Limits,
    SettingChange,
    State,
    SyncState,
    boot_clock_ns,
    boot_id,
    free_disk_bytes,
    mask_card,
    utc_now,
)
from kiosk.core.ledger.settings import Settings
from kiosk.core.schema import migrate, schema_problems

log = logging.getLogger(__name__)

__all__ = [
    "FEATURED_VERSION", "FINAL_STATES", "OUT_OF_SERVICE_MARKER", "TRANSITIONS", "AuditEntry",
    "Backlog", "Donation", "GuardRefused", "IllegalTransition", "Ledger", "LedgerCorrupt",
    "LedgerError", "LedgerUnavailable", "Limits", "SettingChange", "State", "SyncState",
    "boot_clock_ns", "boot_id", "free_disk_bytes", "integrity_check", "mask_card", "move_aside",
    "out_of_service_reason", "quick_check", "utc_now",
]


class Ledger(Donations, Outbox, CatalogCache, Settings, AuditLog, Engagement):
    """Durable record of donations over one SQLite file (see module docs)."""

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str, limits: Limits, *, check: bool = True) -> Ledger:
        """Open (creating or upgrading) the ledger. A corrupt file is moved aside."""
        path = Path(path)
        marker = path.parent / OUT_OF_SERVICE_MARKER
        if marker.exists():
            raise LedgerCorrupt(out_of_service_reason(path.parent))
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = dbmod.connect(path)
            if check:
                problems = quick_check(db)
                if problems:
                    db.conn.close()
                    raise sqlite3.DatabaseError("; ".join(problems[:5]))
            migrate(db)
            ledger = cls(db, path, limits)
            if check:
                ledger._repair_at_risk_counter()
        except sqlite3.DatabaseError as e:
            if isinstance(e, sqlite3.OperationalError) and not looks_corrupt(e):
                raise LedgerUnavailable(f"cannot open the ledger {path}: {e}") from e
            moved = move_aside(path, str(e))
            raise LedgerCorrupt(
                f"the ledger {path} failed its integrity check ({e}); it was moved to "
                f"{moved} and the kiosk is out of service until an operator runs "
                f"'kioskctl db resume'") from e
        return ledger

    def _repair_at_risk_counter(self) -> None:
        # Triggers keep the counter in the statements that change the rows, so a mismatch
        # means someone edited the file by hand or dropped a trigger: the rows win, audited.
        problem = self.repair_at_risk_counter()
        if problem:
            log.warning("%s: %s; reset to the sum (audited as at_risk_counter_repaired)",
                        self.path, problem)

    @classmethod
    def open_readonly(cls, path: Path | str, limits: Limits) -> Ledger:
        """Open an existing ledger for reading only (operator commands that only look).

        Never creates the file nor its directory, never migrates: SQLite's ``mode=ro``. A
        missing file is :class:`LedgerUnavailable` with a message saying so."""
        path = Path(path)
        if not path.is_file():
            where = "its directory does not exist either" if not path.parent.is_dir() else \
                "the screen or kiosk-sync creates it on its first start"
            raise LedgerUnavailable(f"there is no ledger at {path} ({where}); check "
                                    f"device.data_dir in the configuration")
        try:
            db = dbmod.connect(path, readonly=True)
            db.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as e:
            raise LedgerUnavailable(f"cannot read the ledger {path}: {e}") from e
        return cls(db, path, limits)

    def close(self) -> None:
        self.db.conn.close()

    # -- the database as a whole ---------------------------------------------------------------

    def schema_version(self) -> int:
        return self.db.conn.execute("PRAGMA user_version").fetchone()[0]

    def quick_check(self) -> list[str]:
        return quick_check(self.db)

    def check(self) -> list[str]:
        """The thorough check (``kioskctl db check``): ``PRAGMA integrity_check``, then the
        schema this release needs (sqlite-utils' introspection), then the offline cap's counter
        against the rows. Empty when all is well. Reads only: the kiosk's start repairs the
        counter (:meth:`repair_at_risk_counter`)."""
        problems = integrity_check(self.db) or schema_problems(self.db)
        if problems:
            return problems
        counter = self.at_risk_counter_problem()
        return [f"{counter}; the kiosk resets it to the sum when it next starts"] if counter \
            else []

    def summary(self) -> dict[str, Any]:
        conn = self.db.conn
        by_state = {s.value: {"count": 0, "cents": 0} for s in State}
        for state, count, cents in conn.execute(
                "SELECT state, count(*), coalesce(sum(amount_cents), 0) FROM donations"
                " GROUP BY state"):
            by_state[state] = {"count": count, "cents": cents}
        by_sync = {s.value: 0 for s in SyncState}
        for sync_state, count in conn.execute(
                "SELECT sync_state, count(*) FROM donations WHERE state != 'pending'"
                " GROUP BY sync_state"):
            by_sync[sync_state] = count
        backlog = self.backlog()
        return {
            "by_state": by_state,
            "by_sync_state": by_sync,
            "backlog": {"count": backlog.count, "cents": backlog.cents,
                        "oldest_seq": backlog.oldest_seq,
                        "oldest_created_at": backlog.oldest_created_at},
            "at_risk_cents": self.at_risk_cents(),
            "schema_version": self.schema_version(),
        }
