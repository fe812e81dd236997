"""Taking the write lock: ``immediate`` waits for another writer by polling (not SQLite's
sleeping busy handler), gives up after the busy timeout, and leaves the connection's own busy
timeout as it found it. Real SQLite files, two real connections."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from kiosk.core import db as dbmod


def open_pair(tmp_path):
    path = tmp_path / "lock.db"
    first, second = dbmod.connect(path), dbmod.connect(path)
    first.conn.execute("CREATE TABLE t (x INTEGER) STRICT")
    return first, second


def busy_timeout(db: dbmod.Database) -> int:
    return db.conn.execute("PRAGMA busy_timeout").fetchone()[0]


def test_a_writer_waits_for_the_lock_and_then_commits(tmp_path):
    holder, waiter = open_pair(tmp_path)
    holder.conn.execute("BEGIN IMMEDIATE")
    holder.conn.execute("INSERT INTO t VALUES (1)")
    release = threading.Timer(0.2, lambda: holder.conn.execute("COMMIT"))
    release.start()
    with dbmod.immediate(waiter) as conn:
        # The holder's row is there: this transaction began after the holder committed.
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 1
        conn.execute("INSERT INTO t VALUES (2)")
    release.join()
    assert [r[0] for r in holder.conn.execute("SELECT x FROM t ORDER BY x")] == [1, 2]
    assert busy_timeout(waiter) == dbmod.BUSY_TIMEOUT_MS


def test_a_lock_held_past_the_busy_timeout_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(dbmod, "BUSY_TIMEOUT_MS", 300)
    holder, waiter = open_pair(tmp_path)
    holder.conn.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        with dbmod.immediate(waiter):
            pass
    assert time.monotonic() - started >= 0.3  # it did wait the whole timeout
    holder.conn.execute("ROLLBACK")
    assert not waiter.conn.in_transaction
    assert busy_timeout(waiter) == 300  # restored, not left at 0
    with dbmod.immediate(waiter) as conn:  # and the lock is taken once it is free
        conn.execute("INSERT INTO t VALUES (3)")
