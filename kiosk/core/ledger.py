"""The donation ledger: the one place a donation's existence and state are recorded.

The invariant it serves: no approved donation is ever lost or counted twice. A donation is
committed ``pending`` before any payment starts, moves exactly once to a final state, and is
only ever pruned after the central API has confirmed it.

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

import dataclasses
import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from kiosk.core import db as dbmod
from kiosk.core.schema import migrate

OUT_OF_SERVICE_MARKER = "OUT_OF_SERVICE.json"


class State(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    FAILED = "failed"
    UNKNOWN = "unknown"


FINAL_STATES = frozenset(State) - {State.PENDING}
# pending is the only state a donation leaves; a final state is final.
TRANSITIONS: dict[State, frozenset[State]] = {s: frozenset() for s in State}
TRANSITIONS[State.PENDING] = FINAL_STATES


class SyncState(StrEnum):
    UNSYNCED = "unsynced"
    SYNCED = "synced"
    QUARANTINED = "quarantined"


class LedgerError(Exception):
    """Base class: something the screen must show as 'out of service'."""


class IllegalTransition(LedgerError):
    pass


class LedgerUnavailable(LedgerError):
    """The database cannot record a donation (disk full, I/O error, read-only)."""


class LedgerCorrupt(LedgerError):
    """The database failed its check and was moved aside; the kiosk is out of service."""


class GuardRefused(LedgerError):
    """A guard refused a new donation before any payment started."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class Limits:
    max_donation_cents: int
    offline_cap_cents: int
    min_free_disk_bytes: int

    @classmethod
    def from_config(cls, cfg: Any) -> Limits:
        return cls(max_donation_cents=cfg.donations.max_donation_cents,
                   offline_cap_cents=cfg.donations.offline_cap_cents,
                   min_free_disk_bytes=cfg.device.min_free_disk_mb * 1024 * 1024)


@dataclass(frozen=True)
class Donation:
    id: str
    seq: int
    boot_id: str
    project_id: str
    amount_cents: int
    currency: str
    state: str
    created_at: str
    created_mono_ns: int
    finished_at: str | None
    finished_mono_ns: int | None
    auth_code: str | None
    card_suffix: str | None
    reason: str | None
    sync_state: str
    sync_attempts: int
    sync_error: str | None
    synced_at: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row | tuple, columns: list[str]) -> Donation:
        return cls(**dict(zip(columns, row, strict=True)))


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown-boot"


def boot_clock_ns() -> int:
    """Time since boot, immune to wall-clock jumps (a Pi has no real-time clock)."""
    return time.clock_gettime_ns(time.CLOCK_BOOTTIME)


def mask_card(value: str | None) -> str | None:
    """Keep at most the last four digits of whatever card number the terminal sent."""
    if not value:
        return None
    digits = re.sub(r"\D", "", value)
    return digits[-4:] or None


def free_disk_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


_BOOT_ID = boot_id()


class Ledger:
    """Durable record of donations over one SQLite file (see module docs)."""

    def __init__(self, db: Any, path: Path, limits: Limits):
        self.db = db
        self.path = path
        self.limits = limits
        # Name the columns this release knows: a newer release may have added more
        # (migrations are additive), and a rolled-back release must still read the rows.
        self._columns = [f.name for f in dataclasses.fields(Donation)]
        self._returning = ", ".join(self._columns)
        self._select = f"SELECT {self._returning} FROM donations"

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
        except sqlite3.DatabaseError as e:
            if isinstance(e, sqlite3.OperationalError) and not _looks_corrupt(e):
                raise LedgerUnavailable(f"cannot open the ledger {path}: {e}") from e
            moved = move_aside(path, str(e))
            raise LedgerCorrupt(
                f"the ledger {path} failed its integrity check ({e}); it was moved to "
                f"{moved} and the kiosk is out of service until an operator runs "
                f"'kioskctl db resume'") from e
        return cls(db, path, limits)

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

    # -- guards and the donation's life ------------------------------------------------------

    def at_risk_cents(self) -> int:
        """Money taken or possibly taken that the central API has not confirmed yet."""
        return self.db.conn.execute(
            "SELECT coalesce(sum(amount_cents), 0) FROM donations INDEXED BY donations_at_risk "
            "WHERE sync_state != 'synced' AND state IN ('pending', 'approved', 'unknown')"
        ).fetchone()[0]

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
                    f" RETURNING {self._returning}",
                    (donation_id, seq, _BOOT_ID, project_id, amount_cents, currency, utc_now(),
                     boot_clock_ns())).fetchone()
        except sqlite3.Error as e:
            raise LedgerUnavailable(f"cannot record a new donation: {e}") from e
        return Donation.from_row(row, self._columns)

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
                    f" RETURNING {self._returning}",
                    (new.value, utc_now(), boot_clock_ns(), auth_code, mask_card(card_suffix),
                     reason, donation_id)).fetchone()
        except sqlite3.Error as e:
            raise LedgerUnavailable(f"cannot record the outcome of {donation_id}: {e}") from e
        return Donation.from_row(row, self._columns)

    def get(self, donation_id: str) -> Donation | None:
        row = self.db.conn.execute(f"{self._select} WHERE id = ?", (donation_id,)).fetchone()
        return Donation.from_row(row, self._columns) if row else None

    def pending(self) -> list[Donation]:
        """Donations whose outcome is not recorded: to resolve with the bridge at start-up."""
        return self._query("WHERE state = 'pending' ORDER BY seq")

    def _query(self, where: str, params: Iterable[Any] = ()) -> list[Donation]:
        rows = self.db.conn.execute(f"{self._select} {where}", tuple(params)).fetchall()
        return [Donation.from_row(r, self._columns) for r in rows]

    # -- sync bookkeeping ------------------------------------------------------------------

    def outbox(self, limit: int, after_seq: int = 0) -> list[Donation]:
        """Final, unsynced donations in ``seq`` order (never by the device clock)."""
        return self._query("WHERE sync_state = 'unsynced' AND state != 'pending' AND seq > ? "
                           "ORDER BY seq LIMIT ?", (after_seq, limit))

    def mark_synced(self, donation_ids: Iterable[str]) -> int:
        ids = list(donation_ids)
        now = utc_now()
        with dbmod.immediate(self.db) as conn:
            conn.executemany("UPDATE donations SET sync_state = 'synced', synced_at = ?,"
                             " sync_attempts = sync_attempts + 1, sync_error = NULL"
                             " WHERE id = ? AND state != 'pending'", [(now, i) for i in ids])
        return len(ids)

    def quarantine(self, donation_id: str, error: str) -> None:
        with dbmod.immediate(self.db) as conn:
            conn.execute("UPDATE donations SET sync_state = 'quarantined', sync_error = ?,"
                         " sync_attempts = sync_attempts + 1 WHERE id = ?", (error, donation_id))

    def record_sync_failure(self, donation_ids: Iterable[str], error: str) -> None:
        with dbmod.immediate(self.db) as conn:
            conn.executemany("UPDATE donations SET sync_attempts = sync_attempts + 1,"
                             " sync_error = ? WHERE id = ?",
                             [(error, i) for i in donation_ids])

    # -- retention and reporting -----------------------------------------------------------

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
        backlog = conn.execute(
            "SELECT count(*), coalesce(sum(amount_cents), 0), min(seq) FROM donations"
            " WHERE sync_state = 'unsynced' AND state != 'pending'").fetchone()
        oldest = conn.execute(
            "SELECT created_at FROM donations WHERE sync_state = 'unsynced' AND"
            " state != 'pending' ORDER BY seq LIMIT 1").fetchone()
        return {
            "by_state": by_state,
            "by_sync_state": by_sync,
            "backlog": {"count": backlog[0], "cents": backlog[1], "oldest_seq": backlog[2],
                        "oldest_created_at": oldest[0] if oldest else None},
            "at_risk_cents": self.at_risk_cents(),
            "schema_version": conn.execute("PRAGMA user_version").fetchone()[0],
        }

    def between(self, start: str | None, end: str | None) -> list[Donation]:
        """Donations created in [start, end) by their (informative) wall-clock time."""
        clauses, params = [], []
        if start:
            clauses.append("created_at >= ?")
            params.append(start)
        if end:
            clauses.append("created_at < ?")
            params.append(end)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        return self._query(f"{where} ORDER BY seq", params)

    # -- settings, audit, service status -------------------------------------------------------

    def get_setting(self, key: str, default: Any = None) -> Any:
        return read_setting(self.db.conn, key, default)

    def set_setting(self, key: str, value: Any) -> None:
        with dbmod.immediate(self.db) as conn:
            write_setting(conn, key, value)

    def audit(self, actor: str, action: str, **detail: Any) -> int:
        with dbmod.immediate(self.db) as conn:
            return write_audit(conn, actor, action, **detail)

    def set_service_status(self, service: str, status: dict[str, Any]) -> None:
        with dbmod.immediate(self.db) as conn:
            conn.execute("INSERT INTO service_status (service, status, updated_at)"
                         " VALUES (?, ?, ?) ON CONFLICT (service) DO UPDATE SET"
                         " status = excluded.status, updated_at = excluded.updated_at",
                         (service, json.dumps(status), utc_now()))

    def service_status(self) -> dict[str, dict[str, Any]]:
        return {service: {**json.loads(status), "updated_at": updated}
                for service, status, updated in self.db.conn.execute(
                    "SELECT service, status, updated_at FROM service_status")}


def read_setting(conn: sqlite3.Connection, key: str, default: Any = None) -> Any:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else default


def write_setting(conn: sqlite3.Connection, key: str, value: Any) -> None:
    """Set one setting inside the caller's open write transaction."""
    conn.execute("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)"
                 " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
                 " updated_at = excluded.updated_at",
                 (key, json.dumps(value), utc_now()))


def write_audit(conn: sqlite3.Connection, actor: str, action: str, **detail: Any) -> int:
    """Add one audit row inside the caller's open write transaction; returns its ``seq``.
    Lets a change and its audit row commit together (or not at all)."""
    cur = conn.execute(
        "INSERT INTO audit_log (at, boot_id, mono_ns, actor, action, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (utc_now(), _BOOT_ID, boot_clock_ns(), actor, action, json.dumps(detail)))
    return cur.lastrowid


# -- integrity -----------------------------------------------------------------------------


def _looks_corrupt(e: sqlite3.Error) -> bool:
    text = str(e).lower()
    return any(w in text for w in ("malformed", "not a database", "corrupt", "integrity"))


def quick_check(db: Any) -> list[str]:
    """``PRAGMA quick_check``: an empty list when the database is sound."""
    rows = [r[0] for r in db.conn.execute("PRAGMA quick_check").fetchall()]
    return [] if rows == ["ok"] else rows


def integrity_check(db: Any) -> list[str]:
    """The slower, thorough ``PRAGMA integrity_check`` (on demand: ``kioskctl db check``)."""
    rows = [r[0] for r in db.conn.execute("PRAGMA integrity_check").fetchall()]
    return [] if rows == ["ok"] else rows


def move_aside(path: Path, reason: str) -> Path:
    """Move a broken database (and its WAL and SHM) aside, never deleting it, and leave an
    out-of-service marker that only an operator clears."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    dest_dir = path.parent / "corrupt" / f"{path.stem}-{stamp}"
    dest_dir.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        src = Path(f"{path}{suffix}")
        if src.exists():
            shutil.move(str(src), dest_dir / src.name)
    marker = path.parent / OUT_OF_SERVICE_MARKER
    marker.write_text(json.dumps({"reason": reason, "moved_to": str(dest_dir),
                                  "at": utc_now()}, indent=2))
    return dest_dir


def out_of_service_reason(data_dir: Path) -> str:
    marker = Path(data_dir) / OUT_OF_SERVICE_MARKER
    try:
        info = json.loads(marker.read_text())
        return (f"out of service since {info.get('at')}: the ledger failed its check "
                f"({info.get('reason')}) and was moved to {info.get('moved_to')}; after "
                f"review run 'kioskctl db resume'")
    except (OSError, ValueError):
        return f"out of service: see {marker}; after review run 'kioskctl db resume'"
