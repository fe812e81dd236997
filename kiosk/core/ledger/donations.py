"""A donation's life (guards, pending, final state) and what is read back about donations."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Iterable, Iterator
from time import monotonic
from typing import Any

from kiosk.core import db as dbmod
from kiosk.core.ledger.audit_log import write_audit
from kiosk.core.ledger.part import LedgerPart
from kiosk.core.ledger.records import (
    BOOT_ID,
    DONATION_FIELDS,
    TRANSITIONS,
    Donation,
    GuardRefused,
    IllegalTransition,
    LedgerUnavailable,
    State,
    boot_clock_ns,
    free_disk_bytes,
    mask_card,
    new_donation_id,
    utc_now,
)
from kiosk.core.schema import AT_RISK, AT_RISK_COUNTER, SEQ_COUNTER

# Name the columns this release knows: a newer release may have added more (migrations are
# additive), and a rolled-back release must still read the rows.
COLUMNS = list(DONATION_FIELDS)
RETURNING = ", ".join(COLUMNS)
SELECT = f"SELECT {RETURNING} FROM donations"
CURRENCY = re.compile(r"[A-Z]{3}")
# The free-disk guard reuses a reading that left at least this much above the minimum for this
# long (a health check on the attract loop reads it every few seconds); nearer the minimum it
# reads the disk at every new donation. The one process writing large files (the catalog's
# photos) stops at the same minimum by itself, and a commit needs kilobytes.
DISK_READING_MAX_AGE_S = 30.0
DISK_READING_HEADROOM_BYTES = 64 * 2**20

# A new pending donation: its seq is the counter's next; past the offline cap its amount is
# NULL, which the NOT NULL constraint refuses (nothing inserted; create_pending says why). The
# at-risk total is the counter's row, or the rows' sum when the row is missing (as
# at_risk_cents(); coalesce() only sums then). VALUES with a CASE rather than INSERT … SELECT …
# WHERE: ~5 µs less a commit, the donor's wait.
INSERT_PENDING = (
    "INSERT INTO donations (id, seq, boot_id, project_id, amount_cents, currency, created_at,"
    " created_mono_ns) VALUES (?1,"
    f" coalesce((SELECT value FROM counters WHERE name = '{SEQ_COUNTER}'), 0) + 1, ?2, ?3,"
    f" CASE WHEN coalesce((SELECT value FROM counters WHERE name = '{AT_RISK_COUNTER}'),"
    f" (SELECT coalesce(sum(amount_cents), 0) FROM donations WHERE {AT_RISK})) + ?4 <= ?8"
    " THEN ?4 END, ?5, ?6, ?7) RETURNING seq")
_execute = dbmod.execute_in_transaction
# Only a pending donation moves (TRANSITIONS: pending is the only state a donation leaves).
FINISH = ("UPDATE donations SET state = ?, finished_at = ?, finished_mono_ns = ?, auth_code = ?,"
          " card_suffix = ?, reason = ? WHERE id = ? AND state = 'pending'"
          f" RETURNING {RETURNING}")
if {s for s, moves in TRANSITIONS.items() if moves} != {State.PENDING}:
    raise RuntimeError("FINISH moves only pending rows: update it with TRANSITIONS")


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
        """Raise :class:`GuardRefused` if a donation of ``amount_cents`` must not start.

        :meth:`create_pending` checks the same guards, the offline cap inside its INSERT."""
        self._check_amount(amount_cents)
        self._check_disk()
        at_risk = self.at_risk_cents()
        if at_risk + amount_cents > self.limits.offline_cap_cents:
            raise self._over_offline_cap(at_risk, amount_cents)

    def _check_amount(self, amount_cents: int) -> None:
        if type(amount_cents) is not int or amount_cents <= 0:
            raise GuardRefused("bad_amount", f"amount must be a positive whole number of cents, "
                                             f"got {amount_cents!r}")
        if amount_cents > self.limits.max_donation_cents:
            raise GuardRefused("over_cap", f"amount {amount_cents} cents is over the per-donation "
                                           f"cap of {self.limits.max_donation_cents} cents")

    def _check_disk(self) -> None:
        """Read the free space on the data disk (statvfs) and refuse below the minimum. A
        reading at least DISK_READING_HEADROOM_BYTES above it may be reused by create_pending
        for DISK_READING_MAX_AGE_S (``disk_reading_ok_until``); a lower one never is."""
        self.disk_reading_ok_until = 0.0
        free = free_disk_bytes(self.data_dir)
        minimum = self.limits.min_free_disk_bytes
        if free < minimum:
            raise GuardRefused("disk_full", f"only {free // 2**20} MiB free on the data disk, "
                                            f"{minimum // 2**20} MiB needed")
        if free >= minimum + DISK_READING_HEADROOM_BYTES:
            self.disk_reading_ok_until = monotonic() + DISK_READING_MAX_AGE_S

    def _over_offline_cap(self, at_risk: int, amount_cents: int) -> GuardRefused:
        return GuardRefused("offline_cap", f"{at_risk} cents are waiting to be synced; another "
                                           f"{amount_cents} would pass the offline cap of "
                                           f"{self.limits.offline_cap_cents} cents")

    def create_pending(self, project_id: str, amount_cents: int, currency: str) -> Donation:
        """Check the guards and commit a new ``pending`` donation. Nothing is charged yet.

        One INSERT does the rest of the work inside the write lock: it takes the next ``seq``
        from the counter (trigger ``donations_seq`` moves the counter on) and inserts nothing
        when the at-risk counter plus this amount passes the offline cap (its amount is then
        NULL, refused by the NOT NULL constraint), so two processes' taps cannot both pass the
        cap. The durable commit is the donor's wait: every statement on this path counts."""
        if not project_id:
            raise GuardRefused("bad_project", "a donation needs a project id")
        if not CURRENCY.fullmatch(currency or ""):
            raise GuardRefused("bad_currency", f"currency must be a 3-letter ISO code, "
                                               f"got {currency!r}")
        limits = self.limits
        if type(amount_cents) is not int or not 0 < amount_cents <= limits.max_donation_cents:
            self._check_amount(amount_cents)  # raises, saying why
        donation_id = new_donation_id()
        try:
            with dbmod.immediate(self.db) as conn:
                # Inside the lock, as before; a recent reading far above the minimum is reused.
                if monotonic() >= self.disk_reading_ok_until:
                    self._check_disk()
                created_at, created_mono_ns = utc_now(), boot_clock_ns()
                try:
                    seq = _execute(conn, INSERT_PENDING, (
                        donation_id, BOOT_ID, project_id, amount_cents, currency, created_at,
                        created_mono_ns, limits.offline_cap_cents)).fetchone()[0]
                except sqlite3.IntegrityError as e:
                    # The amount is checked positive above: NULL is the offline cap's refusal.
                    if e.sqlite_errorcode != sqlite3.SQLITE_CONSTRAINT_NOTNULL \
                            or "amount_cents" not in str(e):
                        raise
                    raise self._over_offline_cap(self.at_risk_cents(), amount_cents) from None
        except sqlite3.Error as e:
            raise LedgerUnavailable(f"cannot record a new donation: {e}") from e
        # A test checks the result equals the stored row.
        return Donation.new_pending(donation_id, seq, project_id, amount_cents, currency,
                                    created_at, created_mono_ns)

    def finish(self, donation_id: str, state: str, *, auth_code: str | None = None,
               card_suffix: str | None = None, reason: str | None = None) -> Donation:
        """Move a pending donation to its final state, durably. Illegal moves raise.

        One UPDATE, guarded by its WHERE (only a ``pending`` row moves, and only to a final
        state); the state is read only to explain a refusal."""
        new = State(state)
        try:
            with dbmod.immediate(self.db) as conn:
                row = None if new is State.PENDING else _execute(conn, FINISH, (
                    new.value, utc_now(), boot_clock_ns(), auth_code, mask_card(card_suffix),
                    reason, donation_id)).fetchone()
                if row is None:
                    old = conn.execute("SELECT state FROM donations WHERE id = ?",
                                       (donation_id,)).fetchone()
                    if old is None:
                        raise IllegalTransition(f"no donation {donation_id}")
                    raise IllegalTransition(
                        f"donation {donation_id}: {State(old[0])} -> {new} is not allowed")
        except sqlite3.Error as e:
            raise LedgerUnavailable(f"cannot record the outcome of {donation_id}: {e}") from e
        return Donation.from_returning(row)

    # -- reading donations --------------------------------------------------------------------

    def get(self, donation_id: str) -> Donation | None:
        row = self.db.conn.execute(f"{SELECT} WHERE id = ?", (donation_id,)).fetchone()
        return Donation.from_returning(row) if row else None

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
        return [Donation.from_returning(r) for r in rows]

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
