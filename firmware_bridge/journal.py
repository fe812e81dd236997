"""The bridge's journal: every payment request under the caller's reference, and its outcome.

A request is committed *before the first byte goes to the terminal*; a reference that is in
the journal is never sent again. A row still ``in_flight`` when the service starts means the
service died mid-transaction: its outcome is ``unknown`` (money may have been taken).

SQLite with WAL, ``synchronous=FULL`` and writes in ``BEGIN IMMEDIATE``, like the ledger.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from firmware_bridge.outcome import Outcome, Status

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

CRASHED_REASON = ("the bridge stopped while this payment was in progress; "
                  "check the acquirer's report")


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
    outcome: Outcome | None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
        except (sqlite3.Error, OSError) as e:
            raise JournalError(f"cannot open the bridge journal {self.path}: {e}") from e

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
        outcome = Outcome.from_dict(json.loads(row[5])) if row[5] else None
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
                (reference, short_reference, amount_cents, currency, protocol, _now()))
        return True

    def finish(self, reference: str, outcome: Outcome) -> None:
        with self._write() as conn:
            conn.execute("UPDATE payments SET state = 'done', outcome = ?, finished_at = ? "
                         "WHERE reference = ? AND state = 'in_flight'",
                         (json.dumps(outcome.as_dict()), _now(), reference))

    def recover(self) -> list[str]:
        """At start-up: every request left in flight by a crash becomes ``unknown``."""
        with self._write() as conn:
            rows = conn.execute("SELECT reference, amount_cents, currency FROM payments "
                                "WHERE state = 'in_flight'").fetchall()
            for reference, amount, currency in rows:
                outcome = Outcome(Status.UNKNOWN, amount, currency, reason=CRASHED_REASON)
                conn.execute("UPDATE payments SET state = 'done', outcome = ?, finished_at = ?"
                             " WHERE reference = ?",
                             (json.dumps(outcome.as_dict()), _now(), reference))
        return [r[0] for r in rows]
