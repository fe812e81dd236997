"""A donation's life (guards, pending, final state) and what is read back about donations."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from kiosk.core import db as dbmod
from kiosk.core.ledger.audit_log import write_audit
from kiosk.core.ledger.part import LedgerPart
from kiosk.core.ledger.records import (
    BOOT_ID,
    TRANSITIONS,
    Donation,
    GuardRefused,
    IllegalTransition,
    LedgerUnavailable,
    State,
    boot_clock_ns,
    free_disk_bytes,
    mask_card,
    utc_now,
)
from kiosk.core.schema import AT_RISK, AT_RISK_COUNTER

# Name the columns this release knows: a newer release may have added more (migrations are
# additive), and a rolled-back release must still read the rows.
COLUMNS = [f.name for f in dataclasses.fields(Donation)]
RETURNING = ", ".join(COLUMNS)
SELECT = f"SELECT {RETURNING} FROM donations"


def created_between(start: str | None, end: str | None) -> tuple[str, list[str]]:
    """A WHERE condition (``""`` for none) and its parameters for [start, end) by created_at."""
    clauses, params = [], []
    if start:
        clauses.append("created_at >= ?")
        params.append(start)
    if end:
        clauses.append("created_at < ?")
        params.append(end)
    return " AND ".join(clauses), params


class Donations(LedgerPart):
    # -- guards and the donation's life ------------------------------------------------------

    def at_risk_cents(self) -> int:
        """Money taken or possibly taken that the central API has not confirmed yet: the
        offline cap's total, one row kept by triggers (schema migration 7)."""
        row = self.db.conn.execute("SELECT value FROM counters WHERE name = ?",
                                   (AT_RISK_COUNTER,)).fetchone()
        # No row: a file older than migration 7 opened read-only (never migrated). Sum rather
        # than read a missing row as zero.
        return row[0] if row else self.at_risk_cents_summed()

    def at_risk_cents_summed(self) -> int:
        """The same total summed over the rows (what the counter must equal; reads every
        at-risk row, so the guard never calls it)."""
        return self.db.conn.execute(
            "SELECT coalesce(sum(amount_cents), 0) FROM donations INDEXED BY donations_at_risk "
            f"WHERE {AT_RISK}").fetchone()[0]

    def at_risk_counter_problem(self) -> str | None:
        """A plain sentence when the offline cap's counter differs from the rows' sum."""
        row = self.db.conn.execute("SELECT value FROM counters WHERE name = ?",
                                   (AT_RISK_COUNTER,)).fetchone()
        summed = self.at_risk_cents_summed()
        if row is None:
            return (f"the offline cap's at-risk counter is missing (the unsynced donations "
                    f"sum to {summed} cents)")
        if row[0] != summed:
            return (f"the offline cap's at-risk counter says {row[0]} cents but the unsynced "
                    f"donations sum to {summed} cents")
        return None

    def repair_at_risk_counter(self) -> str | None:
        """Reset the counter to the rows' sum if they differ, with an audit row saying what
        it was; returns the problem found (None when they agreed). The rows are the truth.
        Takes the write lock only when they differ."""
        if self.at_risk_counter_problem() is None:
            return None
        with dbmod.immediate(self.db) as conn:  # and look again: another writer may have won
            problem = self.at_risk_counter_problem()
            if problem is None:
                return None
            summed = self.at_risk_cents_summed()
            conn.execute("INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name)"
                         " DO UPDATE SET value = excluded.value", (AT_RISK_COUNTER, summed))
            write_audit(conn, "ledger", "at_risk_counter_repaired", problem=problem,
                        set_to_cents=summed)
        return problem

    def check_guards(self, amount_cents: int) -> None:
        """Raise :class:`GuardRefused` if a donation of ``amount_cents`` must not start."""
        if type(amount_cents) is not int or amount_cents <= 0:
            raise GuardRefused("bad_amount", f"amount must be a positive whole number of cents, "
                                             f"got {amount_cents!r}")
        if amount_cents > self.limits.max_donation_cents:
            raise GuardRefused("over_cap", f"amount {amount_cents} cents is over the per-donation "
                                           f"cap of {self.limits.max_donation_cents} cents")
        free = free_disk_bytes(self.path.parent)
        if free < self.limits.min_free_disk_bytes:
            need = self.limits.min_free_disk_bytes // 2**20
            raise GuardRefused("disk_full", f"only {free // 2**20} MiB free on the data disk, "
                                            f"{need} MiB needed")
        at_risk = self.at_risk_cents()
        if at_risk + amount_cents > self.limits.offline_cap_cents:
            raise GuardRefused("offline_cap", f"{at_risk} cents are waiting to be synced; another "
                                              f"{amount_cents} would pass the offline cap of "
                                              f"{self.limits.offline_cap_cents} cents")

    def create_pending(self, project_id: str, amount_cents: int, currency: str) -> Donation:
        """Check the guards and commit a new ``pending`` donation. Nothing is charged yet."""
        if not project_id:
            raise GuardRefused("bad_project", "a donation needs a project id")
        if not re.fullmatch(r"[A-Z]{3}", currency or ""):
            raise GuardRefused("bad_currency", f"currency must be a 3-letter ISO code, "
                                               f"got {currency!r}")
        donation_id = str(uuid.uuid4())
        try:
            with dbmod.immediate(self.db) as conn:
                # Guards inside the write lock: two kiosks' worth of taps cannot both pass the cap.
                self.check_guards(amount_cents)
                seq = conn.execute(
                    "INSERT INTO counters (name, value) VALUES ('donation_seq', 1) "
                    "ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value"
                ).fetchone()[0]
                row = conn.execute(
                    "INSERT INTO donations (id, seq, boot_id, project_id, amount_cents, currency,"
                    " created_at, created_mono_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    f" RETURNING {RETURNING}",
                    (donation_id, seq, BOOT_ID, project_id, amount_cents, currency, utc_now(),
                     boot_clock_ns())).fetchone()
        except sqlite3.Error as e:
            raise LedgerUnavailable(f"cannot record a new donation: {e}") from e
        return Donation.from_row(row, COLUMNS)

    def finish(self, donation_id: str, state: str, *, auth_code: str | None = None,
               card_suffix: str | None = None, reason: str | None = None) -> Donation:
        """Move a pending donation to its final state, durably. Illegal moves raise."""
        new = State(state)
        try:
            with dbmod.immediate(self.db) as conn:
                row = conn.execute("SELECT state FROM donations WHERE id = ?",
                                   (donation_id,)).fetchone()
                if row is None:
                    raise IllegalTransition(f"no donation {donation_id}")
                old = State(row[0])
                if new not in TRANSITIONS[old]:
                    raise IllegalTransition(
                        f"donation {donation_id}: {old} -> {new} is not allowed")
                row = conn.execute(
                    "UPDATE donations SET state = ?, finished_at = ?, finished_mono_ns = ?,"
                    " auth_code = ?, card_suffix = ?, reason = ? WHERE id = ?"
                    f" RETURNING {RETURNING}",
                    (new.value, utc_now(), boot_clock_ns(), auth_code, mask_card(card_suffix),
                     reason, donation_id)).fetchone()
        except sqlite3.Error as e:
            raise LedgerUnavailable(f"cannot record the outcome of {donation_id}: {e}") from e
        return Donation.from_row(row, COLUMNS)

    # -- reading donations --------------------------------------------------------------------

    def get(self, donation_id: str) -> Donation | None:
        row = self.db.conn.execute(f"{SELECT} WHERE id = ?", (donation_id,)).fetchone()
        return Donation.from_row(row, COLUMNS) if row else None

    def pending(self) -> list[Donation]:
        """Donations whose outcome is not recorded: to resolve with the bridge at start-up."""
        return self.in_state(State.PENDING)

    def in_state(self, state: State) -> list[Donation]:
        """Donations in ``state``, oldest first (by ``seq``, never by the device clock)."""
        return self._query("WHERE state = ? ORDER BY seq", (state.value,))

    def between(self, start: str | None, end: str | None) -> list[Donation]:
        """Donations created in [start, end) by their (informative) wall-clock time."""
        where, params = created_between(start, end)
        return self._query(f"{'WHERE ' + where if where else ''} ORDER BY seq", params)

    def export_rows(self, start: str | None, end: str | None) -> Iterator[dict[str, Any]]:
        """:meth:`between` as plain dicts (the ``Donation`` fields, in order), for exports.
        Read through sqlite-utils; operator commands only, never the screen's start path."""
        where, params = created_between(start, end)
        return self.db.utils["donations"].rows_where(where or None, params, order_by="seq",
                                                     select=RETURNING)

    def approved_between(self, start: str, end: str) -> tuple[int, int]:
        """Count and total cents of approved donations created in [start, end)."""
        return self.db.conn.execute(
            "SELECT count(*), coalesce(sum(amount_cents), 0) FROM donations"
            " WHERE state = 'approved' AND created_at >= ? AND created_at < ?",
            (start, end)).fetchone()

    def local_progress(self) -> dict[str, tuple[int, int]]:
        """{project id: (cents, count)} of the approved gifts the central service has not
        confirmed yet: what the screen adds to the cached catalog's ``raised_cents``.

        Approved AND unsynced only, so a gift is never counted twice: the moment the central
        API confirms it, the catalog's total is the one to count it (or will be at the next
        catalog pull). Until that pull the bar can lag by the gifts synced since, never run
        ahead. Quarantined gifts are left out: the central service refused them."""
        rows = self.db.conn.execute(
            "SELECT project_id, coalesce(sum(amount_cents), 0), count(*) FROM donations"
            " WHERE state = 'approved' AND sync_state = 'unsynced' GROUP BY project_id")
        return {pid: (cents, count) for pid, cents, count in rows}

    def unsynced_approved_since(self, start: str, currency: str = "EUR") -> int:
        """Cents of the approved gifts in ``currency`` created at or after ``start`` (UTC, as
        stored) that the central service has not confirmed yet: what the screen adds to the
        catalog's shop total for the month (by this kiosk's clock). Same rule as
        :meth:`local_progress`: confirmed gifts are the catalog's to count."""
        return self.db.conn.execute(
            "SELECT coalesce(sum(amount_cents), 0) FROM donations WHERE state = 'approved'"
            " AND sync_state = 'unsynced' AND currency = ? AND created_at >= ?",
            (currency, start)).fetchone()[0]

    def unknown_unsynced_count(self) -> int:
        """Unknown outcomes the central service has not heard of yet."""
        return self.db.conn.execute("SELECT count(*) FROM donations WHERE state = 'unknown'"
                                    " AND sync_state != 'synced'").fetchone()[0]

    def _query(self, where: str, params: Iterable[Any] = ()) -> list[Donation]:
        rows = self.db.conn.execute(f"{SELECT} {where}", tuple(params)).fetchall()
        return [Donation.from_row(r, COLUMNS) for r in rows]

    # -- retention -----------------------------------------------------------------------------

    def prune(self, retention_days: int, now: dt.datetime | None = None) -> int:
        """Delete synced donations older than ``retention_days``; never unsynced, quarantined
        or unknown ones. The sequence counter is kept, so ``seq`` is never reused."""
        now = now or dt.datetime.now(dt.UTC)
        cutoff = (now - dt.timedelta(days=retention_days)).isoformat(
            timespec="milliseconds").replace("+00:00", "Z")
        with dbmod.immediate(self.db) as conn:
            cur = conn.execute("DELETE FROM donations WHERE sync_state = 'synced' AND"
                               " state NOT IN ('pending', 'unknown') AND synced_at < ?", (cutoff,))
        return cur.rowcount
