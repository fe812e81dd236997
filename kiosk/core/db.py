"""SQLite connections with the durability settings every process must use.

WAL with ``synchronous=FULL`` (in WAL mode NORMAL can roll back a committed transaction after a
power cut), lock waits by polling (:class:`Connection`), foreign keys on, and write
transactions opened with ``BEGIN IMMEDIATE`` so that two writers never deadlock on a lock
upgrade. sqlite-utils' own ``atomic()`` opens a deferred ``BEGIN``, so durable writes go
through :func:`immediate` on the raw connection instead; sqlite-utils calls made inside it join
that transaction (sqlite-utils 4).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_MS = 5000
# Polling for a lock: first after 0.2 ms, doubling to 1 ms between tries, so a waiter takes a
# released lock within a millisecond (and a writer giving way pauses that long).
LOCK_POLL_FIRST_S, LOCK_POLL_MAX_S = 0.0002, 0.001
# sqlite3's own execute, without the polling: for statements inside a transaction, and called
# directly rather than through super() (a few tenths of a microsecond per statement).
_execute = sqlite3.Connection.execute
# The same, for the ledger's statements inside immediate(): a busy error there is not retried.
execute_in_transaction = _execute


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


class Connection(sqlite3.Connection):
    """The connection :func:`connect` opens: SQLite's busy handler is off (``busy_timeout``
    0) and a statement that starts outside a transaction and finds the database locked is
    tried again here, in short steps, for up to ``BUSY_TIMEOUT_MS``.

    SQLite's own handler sleeps 1, 2, 5, 10, 15… ms between tries, so the screen's pending
    commit behind one short sync transaction waited for its next try (p95 ~10 ms, max ~30 ms
    while kiosk-sync drained a backlog) rather than for the lock; polling takes the lock
    within a fraction of a millisecond of its release. Off for good, rather than switched off
    around each ``BEGIN IMMEDIATE``: two ``PRAGMA busy_timeout`` statements per transaction
    (~9 µs) were a sixth of what the ledger added to a raw commit. Reads in WAL mode meet a
    lock only while another process recovers the WAL after a crash; they wait here the same
    way.

    Only :meth:`execute`: inside a transaction a busy error is not retried (the transaction
    must be rolled back), and ``executemany`` runs only inside :func:`immediate`."""

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        try:
            return _execute(self, sql, parameters)
        except sqlite3.OperationalError as e:
            if self.in_transaction or not _is_busy(e):
                raise
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        pause = LOCK_POLL_FIRST_S
        while True:
            time.sleep(pause)
            pause = min(pause * 2, LOCK_POLL_MAX_S)
            try:
                return _execute(self, sql, parameters)
            except sqlite3.OperationalError as e:
                if self.in_transaction or not _is_busy(e) or time.monotonic() >= deadline:
                    raise


def connect(path: Path | str, *, readonly: bool = False) -> Database:
    """Open ``path`` with WAL, ``synchronous=FULL``, foreign keys, and lock waits by polling
    (:class:`Connection`)."""
    target, uri = (f"file:{path}?mode=ro", True) if readonly else (str(path), False)
    conn = sqlite3.connect(target, uri=uri, isolation_level=None, timeout=0,
                           check_same_thread=False, factory=Connection)
    conn.execute("PRAGMA busy_timeout = 0")
    if not readonly:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            conn.close()
            raise sqlite3.OperationalError(f"{path}: could not switch to WAL (got {mode})")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return Database(conn)


class immediate:  # noqa: N801 - used as a function: ``with immediate(db) as conn``
    """A write transaction taken with ``BEGIN IMMEDIATE``; commits on success, rolls back on
    an error. The wait for the write lock is :class:`Connection`'s polling.

    A class rather than ``contextlib.contextmanager``: a generator per transaction cost a few
    microseconds on the donor's path, where a durable commit is ~0.2 ms."""

    __slots__ = ("conn",)

    def __init__(self, db: Database):
        self.conn = db.conn

    def __enter__(self) -> sqlite3.Connection:
        conn = self.conn
        try:  # the lock is free almost always: no Python frame of polling for that case
            _execute(conn, "BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            conn.execute("BEGIN IMMEDIATE")  # poll (or raise what is not a busy lock)
        return conn

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        conn = self.conn
        if kind is not None:
            if conn.in_transaction:
                _execute(conn, "ROLLBACK")
            return
        try:
            _execute(conn, "COMMIT")
        except BaseException:
            # A failed COMMIT (disk full, I/O error) can leave the transaction open.
            if conn.in_transaction:
                _execute(conn, "ROLLBACK")
            raise


def _is_busy(e: sqlite3.OperationalError) -> bool:
    return getattr(e, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) \
        or "locked" in str(e) or "busy" in str(e)
