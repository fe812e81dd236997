"""Waiting for a lock: every connection from ``connect`` has SQLite's sleeping busy handler
off (``busy_timeout`` 0, set once at open, never per transaction) and polls in short steps
instead, for writes (``immediate``) and for reads outside a transaction alike; it gives up
after ``BUSY_TIMEOUT_MS``. Real SQLite files, two real connections."""

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
    started = time.monotonic()
    with dbmod.immediate(waiter) as conn:
        # The holder's row is there: this transaction began after the holder committed.
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 1
        conn.execute("INSERT INTO t VALUES (2)")
    waited = time.monotonic() - started
    release.join()
    assert [r[0] for r in holder.conn.execute("SELECT x FROM t ORDER BY x")] == [1, 2]
    assert waited >= 0.2
    assert busy_timeout(waiter) == 0  # SQLite's sleeping handler stays off


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
    with dbmod.immediate(waiter) as conn:  # and the lock is taken once it is free
        conn.execute("INSERT INTO t VALUES (3)")
    assert [r[0] for r in holder.conn.execute("SELECT x FROM t")] == [3]


def test_a_read_that_meets_a_lock_waits_for_it(tmp_path):
    # In WAL mode a read meets a lock only when another connection holds the file exclusively:
    # one recovering the WAL after a crash does; locking_mode=EXCLUSIVE shows it on demand.
    path = tmp_path / "lock.db"
    maker = dbmod.connect(path)
    maker.conn.execute("CREATE TABLE t (x INTEGER) STRICT")
    maker.conn.close()
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("INSERT INTO t VALUES (1)")  # takes the lock and keeps it

    with pytest.raises(sqlite3.OperationalError, match="locked"):
        sqlite3.connect(path, timeout=0).execute("SELECT count(*) FROM t")  # no polling
    timer = threading.Timer(0.2, holder.close)  # closing drops the lock
    started = time.monotonic()
    timer.start()
    reader = dbmod.connect(path)  # its first reads wait for the lock
    assert reader.conn.execute("SELECT count(*) FROM t").fetchone()[0] == 1
    timer.join()
    assert time.monotonic() - started >= 0.2


def test_a_busy_error_inside_a_transaction_is_not_retried(tmp_path, monkeypatch):
    # Inside a transaction the statement cannot simply run again: the caller rolls back.
    monkeypatch.setattr(dbmod, "BUSY_TIMEOUT_MS", 5000)
    holder, waiter = open_pair(tmp_path)
    waiter.conn.execute("BEGIN")  # deferred: it has no lock yet
    waiter.conn.execute("SELECT count(*) FROM t").fetchone()
    holder.conn.execute("INSERT INTO t VALUES (1)")  # the waiter's snapshot is now stale
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError):
        waiter.conn.execute("INSERT INTO t VALUES (2)")
    assert time.monotonic() - started < 1
    waiter.conn.execute("ROLLBACK")
