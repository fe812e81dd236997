"""SQLite connections with the durability settings every process must use.

WAL with ``synchronous=FULL`` (in WAL mode NORMAL can roll back a committed transaction after a
power cut), a busy timeout, foreign keys on, and write transactions opened with
``BEGIN IMMEDIATE`` so that two writers never deadlock on a lock upgrade. sqlite-utils' own
``atomic()`` opens a deferred ``BEGIN``, so durable writes go through :func:`immediate` on the raw
connection instead; sqlite-utils calls made inside it join that transaction (sqlite-utils 4).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_MS = 5000


class Database:
    """A connection opened by :func:`connect`, with sqlite-utils over it on demand.

    The ledger's durable writes use ``.conn`` directly inside :func:`immediate`. ``.utils`` is
    sqlite-utils' ``Database`` on the same connection, for schema work, introspection and
    exports. It is built on first use: importing sqlite-utils costs ~50 ms (dateutil, click,
    pluggy), which the kiosk screen would otherwise pay before its first frame."""

    __slots__ = ("conn", "_utils")

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self._utils: sqlite_utils.Database | None = None

    @property
    def utils(self) -> sqlite_utils.Database:
        if self._utils is None:
            import sqlite_utils

            # No plugins and no PRAGMA recursive_triggers: the connection keeps exactly the
            # settings connect() gave it.
            self._utils = sqlite_utils.Database(self.conn, recursive_triggers=False,
                                                execute_plugins=False)
        return self._utils


def connect(path: Path | str, *, readonly: bool = False) -> Database:
    """Open ``path`` with WAL, ``synchronous=FULL``, busy timeout and foreign keys."""
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None,
                               timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), isolation_level=None,
                               timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if not readonly:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            conn.close()
            raise sqlite3.OperationalError(f"{path}: could not switch to WAL (got {mode})")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return Database(conn)


@contextlib.contextmanager
def immediate(db: Database) -> Iterator[sqlite3.Connection]:
    """A write transaction taken with ``BEGIN IMMEDIATE``; commits on success."""
    conn = db.conn
    _begin_immediate(conn)
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        # A failed COMMIT (disk full, I/O error) can leave the transaction open.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


# Polling for the write lock: first after 0.2 ms, doubling to 2 ms between tries.
LOCK_POLL_FIRST_S, LOCK_POLL_MAX_S = 0.0002, 0.002


def _begin_immediate(conn: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``, waiting for the write lock up to ``BUSY_TIMEOUT_MS``.

    SQLite's own busy handler sleeps 1, 2, 5, 10, 15… ms between tries, so the screen's
    pending commit behind one short sync transaction waited for its next try (p95 ~10 ms,
    max ~30 ms while kiosk-sync drained a backlog) rather than for the lock; polling in
    short steps takes the lock within a fraction of a millisecond of its release."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = LOCK_POLL_FIRST_S
    conn.execute("PRAGMA busy_timeout = 0")  # our polling, not SQLite's sleeping handler
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as e:
                if not _is_busy(e) or time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, LOCK_POLL_MAX_S)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _is_busy(e: sqlite3.OperationalError) -> bool:
    return getattr(e, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) \
        or "locked" in str(e) or "busy" in str(e)
