"""SQLite connections with the durability settings every process must use.

WAL with ``synchronous=FULL`` (in WAL mode NORMAL can roll back a committed transaction after a
power cut), a busy timeout, foreign keys on, and write transactions opened with
``BEGIN IMMEDIATE`` so that two writers never deadlock on a lock upgrade. sqlite-utils' own
``atomic()`` uses a deferred BEGIN, so writes go through :func:`immediate` instead.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

BUSY_TIMEOUT_MS = 5000


def connect(path: Path | str, *, readonly: bool = False) -> sqlite_utils.Database:
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
    return sqlite_utils.Database(conn)


@contextlib.contextmanager
def immediate(db: sqlite_utils.Database) -> Iterator[sqlite3.Connection]:
    """A write transaction taken with ``BEGIN IMMEDIATE``; commits on success."""
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
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
