"""The bridge's journal: every payment request under the caller's reference, and its outcome.

A request is committed *before the first byte goes to the terminal*; a reference that is in
the journal is never sent again. Just before the request frame's first byte, the row is marked
``sent`` with the boot and the boot clock. A row still ``in_flight`` when the service starts
means the service died mid-transaction (:meth:`Journal.recover`): never sent, it is a
``link_error`` (no money taken); sent on this boot and still inside the terminal's answer
window, the service listens for the late answer; otherwise ``unknown`` (money may have been
taken).

SQLite with WAL, ``synchronous=FULL`` and writes in ``BEGIN IMMEDIATE``, like the ledger.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from firmware_bridge.clock import utc_now
from firmware_bridge.outcome import Status, TerminalOutcome

SCHEMA = """
CREATE TABLE IF NOT EXISTS payments (
    reference TEXT PRIMARY KEY,
    short_reference TEXT NOT NULL UNIQUE,
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    currency TEXT NOT NULL,
    protocol TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('in_flight', 'done')),
    outcome TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT
) STRICT;
"""
# Added by the release that listens for late answers. NULL: the request frame never went out;
# -1 (rows in flight from before that release): it may have gone out, on an unknown boot.
SENT_COLUMNS = (("sent_boot_id", "TEXT"), ("sent_mono_ns", "INTEGER"))

CRASHED_REASON = ("the bridge stopped while this payment was in progress; "
                  "check the acquirer's report")
NOT_SENT_REASON = ("the bridge stopped before the request reached the terminal "
                   "(no money taken)")


def boot_id() -> str | None:
    """This boot's id: a boot-clock reading is comparable only within the same boot."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip() or None
    except OSError:
        return None


class JournalError(Exception):
    """The journal cannot record a request: nothing may be sent to the terminal."""


class DuplicateShortReference(JournalError):
    pass


@dataclass(frozen=True)
class Entry:
    reference: str
    short_reference: str
    amount_cents: int
    currency: str
    in_flight: bool
    outcome: TerminalOutcome | None


@dataclass(frozen=True)
class LateAnswer:
    """A request in flight at start-up whose answer the terminal may still offer."""

    entry: Entry
    until_mono: float  # time.monotonic() after which no answer can come any more


class Journal:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(str(self.path), isolation_level=None,
                                         check_same_thread=False, timeout=5)
            self._conn.execute("PRAGMA busy_timeout = 5000")
            mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise sqlite3.OperationalError(f"could not switch to WAL (got {mode})")
            self._conn.execute("PRAGMA synchronous = FULL")
            self._conn.executescript(SCHEMA)
            self._add_sent_columns()
        except (sqlite3.Error, OSError) as e:
            raise JournalError(f"cannot open the bridge journal {self.path}: {e}") from e

    def _add_sent_columns(self) -> None:
        have = {row[1] for row in self._conn.execute("PRAGMA table_info(payments)")}
        if all(name in have for name, _ in SENT_COLUMNS):
            return
        with self._write() as conn:
            for name, kind in SENT_COLUMNS:
                if name not in have:
                    conn.execute(f"ALTER TABLE payments ADD COLUMN {name} {kind}")
            # Whether an older release's request in flight went out is not known: never say
            # "not sent" for it.
            conn.execute("UPDATE payments SET sent_mono_ns = -1 WHERE state = 'in_flight'")

    def close(self) -> None:
        self._conn.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                    self._conn.execute("COMMIT")
                except BaseException:
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise
            except sqlite3.IntegrityError as e:
                raise DuplicateShortReference(str(e)) from e
            except sqlite3.Error as e:
                raise JournalError(f"the bridge journal {self.path} cannot be written: {e}") from e

    def get(self, reference: str) -> Entry | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT reference, short_reference, amount_cents, currency, state, outcome "
                "FROM payments WHERE reference = ?", (reference,)).fetchone()
        if row is None:
            return None
        outcome = TerminalOutcome.from_dict(json.loads(row[5])) if row[5] else None
        return Entry(row[0], row[1], row[2], row[3], row[4] == "in_flight", outcome)

    def begin(self, reference: str, short_reference: str, amount_cents: int, currency: str,
              protocol: str) -> bool:
        """Record a new request; False if the reference is already known (never send it)."""
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM payments WHERE reference = ?",
                            (reference,)).fetchone():
                return False
            conn.execute(
                "INSERT INTO payments (reference, short_reference, amount_cents, currency,"
                " protocol, state, created_at) VALUES (?, ?, ?, ?, ?, 'in_flight', ?)",
                (reference, short_reference, amount_cents, currency, protocol, utc_now()))
        return True

    def mark_sent(self, reference: str) -> None:
        """Committed just before the request frame's first byte: from here money may move."""
        with self._write() as conn:
            conn.execute("UPDATE payments SET sent_boot_id = ?, sent_mono_ns = ? "
                         "WHERE reference = ? AND sent_mono_ns IS NULL",
                         (boot_id(), time.monotonic_ns(), reference))

    def finish(self, reference: str, outcome: TerminalOutcome) -> None:
        with self._write() as conn:
            conn.execute("UPDATE payments SET state = 'done', outcome = ?, finished_at = ? "
                         "WHERE reference = ? AND state = 'in_flight'",
                         (json.dumps(outcome.as_dict()), utc_now(), reference))

    def recover(self, late_window_s: float = 0.0) -> tuple[list[str], LateAnswer | None]:
        """At start-up, settle what a crash left in flight.

        Never sent: ``link_error``. Sent on this boot less than ``late_window_s`` ago (the
        terminal may still offer its answer): the newest such request is returned to listen
        for, left in flight. Anything else: ``unknown``. Returns the references settled here.
        """
        me, now_ns = boot_id(), time.monotonic_ns()
        late: LateAnswer | None = None
        settled = []
        with self._write() as conn:
            rows = conn.execute("SELECT reference, amount_cents, currency, sent_boot_id,"
                                " sent_mono_ns FROM payments WHERE state = 'in_flight'"
                                " ORDER BY created_at DESC, rowid DESC").fetchall()
            for reference, amount, currency, sent_boot, sent_ns in rows:
                if sent_ns is None:
                    outcome = TerminalOutcome(Status.LINK_ERROR, amount, currency,
                                              reason=NOT_SENT_REASON)
                else:
                    until_ns = sent_ns + int(late_window_s * 1e9)
                    if (late is None and me is not None and sent_boot == me
                            and sent_ns >= 0 and now_ns < until_ns):
                        entry = Entry(reference, "", amount, currency, True, None)
                        late = LateAnswer(entry, time.monotonic() + (until_ns - now_ns) / 1e9)
                        continue
                    outcome = TerminalOutcome(Status.UNKNOWN, amount, currency,
                                              reason=CRASHED_REASON)
                conn.execute("UPDATE payments SET state = 'done', outcome = ?, finished_at = ?"
                             " WHERE reference = ?",
                             (json.dumps(outcome.as_dict()), utc_now(), reference))
                settled.append(reference)
        return settled, late
