"""The donor's path in as few statements as a raw commit: ``create_pending`` is BEGIN, one
INSERT, COMMIT (the sequence from the counter and the offline cap in that INSERT; trigger
``donations_seq``, schema migration 8, moves the counter on); ``finish`` is BEGIN, one
conditional UPDATE, COMMIT. The guards refuse exactly as before, with the same errors. And
kiosk-sync's ``mark_synced`` holds the lock in short chunks the screen's commit gets between.
Real SQLite files, real connections."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core import db as dbmod
from kiosk.core.ledger import (
    GuardRefused,
    IllegalTransition,
    Ledger,
    LedgerUnavailable,
    Limits,
    State,
)
from kiosk.core.ledger.outbox import SYNCED_CHUNK
from kiosk.core.ledger.records import utc_now, utc_stamp
from kiosk.core.schema import migrate, schema_problems

LIMITS = Limits(max_donation_cents=15_000, offline_cap_cents=10_000, min_free_disk_bytes=0)
REPO = Path(__file__).resolve().parents[2]


def statements(ledger: Ledger, action) -> list[str]:
    """The statements ``action`` runs on the ledger's connection (a trigger's run repeats its
    statement's text in the trace: consecutive repeats are one statement)."""
    seen: list[str] = []
    ledger.db.conn.set_trace_callback(seen.append)
    try:
        action()
    finally:
        ledger.db.conn.set_trace_callback(None)
    return [s.split()[0] + (" " + s.split()[1] if s.startswith("BEGIN") else "")
            for i, s in enumerate(seen) if i == 0 or s != seen[i - 1]]


def test_create_and_finish_are_one_statement_each_between_begin_and_commit(tmp_path):
    ledger = Ledger.open(tmp_path / "k.db", LIMITS)
    made = []
    assert statements(ledger, lambda: made.append(
        ledger.create_pending("p", 500, "EUR"))) == ["BEGIN IMMEDIATE", "INSERT", "COMMIT"]
    assert statements(ledger, lambda: ledger.finish(made[0].id, "approved")) == [
        "BEGIN IMMEDIATE", "UPDATE", "COMMIT"]


def test_create_pending_returns_exactly_the_row_it_stored(tmp_path):
    # It returns only seq from the INSERT and fills in the rest: the stored row must agree.
    ledger = Ledger.open(tmp_path / "k.db", LIMITS)
    for amount in (1, 500, 9_499):
        made = ledger.create_pending("p", amount, "EUR")
        assert made == ledger.get(made.id)
        assert made.state == "pending" and made.sync_state == "unsynced"


def test_seq_counter_follows_every_insert_including_an_older_releases(tmp_path):
    path = tmp_path / "k.db"
    ledger = Ledger.open(path, LIMITS)
    first = ledger.create_pending("p", 100, "EUR")
    # A rolled-back release numbers its donation itself: bump the counter, insert with it.
    old = dbmod.connect(path)
    with dbmod.immediate(old) as conn:
        seq = conn.execute("INSERT INTO counters (name, value) VALUES ('donation_seq', 1) "
                           "ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value"
                           ).fetchone()[0]
        conn.execute("INSERT INTO donations (id, seq, boot_id, project_id, amount_cents,"
                     " currency, created_at, created_mono_ns) VALUES (?, ?, 'b', 'p', 100,"
                     " 'EUR', '2026-11-30T10:00:00.000Z', 0)", (str(uuid.uuid4()), seq))
    # A bulk import that numbers rows past the counter: the counter follows it.
    with dbmod.immediate(old) as conn:
        conn.execute("INSERT INTO donations (id, seq, boot_id, project_id, amount_cents,"
                     " currency, created_at, created_mono_ns) VALUES (?, 10, 'b', 'p', 100,"
                     " 'EUR', '2026-11-30T10:00:00.000Z', 0)", (str(uuid.uuid4()),))
    after = ledger.create_pending("p", 100, "EUR")
    assert (first.seq, seq, after.seq) == (1, 2, 11)
    assert old.conn.execute("SELECT value FROM counters WHERE name = 'donation_seq'"
                            ).fetchone()[0] == 11


def test_seq_is_never_reused_after_every_row_is_pruned(tmp_path):
    ledger = Ledger.open(tmp_path / "k.db", LIMITS)
    done = [ledger.finish(ledger.create_pending("p", 100, "EUR").id, "approved")
            for _ in range(3)]
    ledger.mark_synced(d.id for d in done)
    ledger.db.conn.execute("UPDATE donations SET synced_at = '2000-01-01T00:00:00.000Z'")
    assert ledger.prune(1) == 3
    assert ledger.create_pending("p", 100, "EUR").seq == 4


def test_the_offline_cap_in_the_insert_refuses_with_the_same_words_and_inserts_nothing(
        tmp_path):
    ledger = Ledger.open(tmp_path / "k.db", LIMITS)
    ledger.finish(ledger.create_pending("p", 9_000, "EUR").id, "approved")
    with pytest.raises(GuardRefused) as refused:
        ledger.create_pending("p", 1_001, "EUR")
    assert refused.value.code == "offline_cap"
    assert str(refused.value) == ("9000 cents are waiting to be synced; another 1001 would "
                                  "pass the offline cap of 10000 cents")
    assert ledger.db.conn.execute("SELECT count(*) FROM donations").fetchone()[0] == 1
    assert ledger.create_pending("p", 1_000, "EUR").seq == 2  # exactly at the cap: allowed


def test_only_the_caps_null_amount_reads_as_the_offline_cap(tmp_path):
    # The cap refuses through the NOT NULL constraint on the amount; any other constraint
    # failure in that INSERT is the ledger failing, never a cap refusal.
    ledger = Ledger.open(tmp_path / "k.db", LIMITS)
    first = ledger.create_pending("p", 100, "EUR")
    ledger.db.conn.execute("UPDATE counters SET value = 0 WHERE name = 'donation_seq'")
    with pytest.raises(LedgerUnavailable, match="UNIQUE constraint failed: donations.seq"):
        ledger.create_pending("p", 100, "EUR")  # seq 1 again: a hand-edited counter
    assert [d.id for d in ledger.in_state(State.PENDING)] == [first.id]
    assert not ledger.db.conn.in_transaction


def test_without_its_counter_row_the_cap_counts_the_rows(tmp_path):
    # A hand-edited file lost the at-risk row: the cap must not read it as zero.
    ledger = Ledger.open(tmp_path / "k.db", LIMITS)
    ledger.finish(ledger.create_pending("p", 9_000, "EUR").id, "approved")
    ledger.db.conn.execute("DELETE FROM counters WHERE name = 'at_risk_cents'")
    with pytest.raises(GuardRefused) as refused:
        ledger.create_pending("p", 1_001, "EUR")
    assert refused.value.code == "offline_cap" and str(refused.value).startswith("9000 cents")
    assert ledger.create_pending("p", 1_000, "EUR").amount_cents == 1_000


def test_finish_moves_only_a_pending_row_and_says_why_not(tmp_path):
    ledger = Ledger.open(tmp_path / "k.db", LIMITS)
    donation = ledger.create_pending("p", 500, "EUR")
    with pytest.raises(IllegalTransition, match=r"pending -> pending is not allowed"):
        ledger.finish(donation.id, "pending")
    # Another process (the bridge's recovery at start-up) finished it first.
    other = Ledger.open(tmp_path / "k.db", LIMITS)
    other.finish(donation.id, "declined", reason="declined by the card")
    with pytest.raises(IllegalTransition, match=r"declined -> approved is not allowed"):
        ledger.finish(donation.id, "approved", auth_code="A1")
    with pytest.raises(IllegalTransition, match=r"^no donation nope$"):
        ledger.finish("nope", "approved")
    kept = ledger.get(donation.id)
    assert (kept.state, kept.auth_code, kept.reason) == ("declined", None, "declined by the card")
    assert not ledger.db.conn.in_transaction


def test_migration_8_adds_the_seq_trigger_and_keeps_the_counter(tmp_path):
    db = dbmod.connect(tmp_path / "k.db")
    migrate(db, 7)
    with dbmod.immediate(db) as conn:
        conn.execute("INSERT INTO counters (name, value) VALUES ('donation_seq', 41)")
    migrate(db)
    assert schema_problems(db) == []
    db.conn.close()
    assert Ledger.open(tmp_path / "k.db", LIMITS).create_pending("p", 1, "EUR").seq == 42
    dropped = sqlite3.connect(tmp_path / "k.db")
    dropped.execute("DROP TRIGGER donations_seq")
    dropped.commit()
    dropped.close()
    assert "trigger donations_seq on donations is missing" in Ledger.open(
        tmp_path / "k.db", LIMITS).check()


def test_mark_synced_commits_in_short_chunks_and_never_moves_a_pending_row(tmp_path):
    ledger = Ledger.open(tmp_path / "k.db", Limits(15_000, 10**9, 0))
    done = [ledger.finish(ledger.create_pending("p", 100, "EUR").id, "approved").id
            for _ in range(2 * SYNCED_CHUNK + 3)]
    pending = ledger.create_pending("p", 100, "EUR").id
    ran = statements(ledger, lambda: ledger.mark_synced([*done, pending]))
    assert ran == ["BEGIN IMMEDIATE", "UPDATE", "COMMIT"] * 3
    assert {d.sync_state for d in ledger.in_state(State.APPROVED)} == {"synced"}
    assert ledger.get(pending).sync_state == "unsynced"
    assert ledger.at_risk_cents() == 100 and ledger.check() == []


def test_a_writer_waiting_for_the_lock_gets_in_between_mark_synced_chunks(tmp_path):
    # The screen's pending commit (another process, polling for the lock) must not wait for
    # all of sync's chunks: it starts waiting while the first chunk holds the lock and must
    # have committed before the last chunk commits.
    path = tmp_path / "k.db"
    sync = Ledger.open(path, Limits(15_000, 10**12, 0))
    done = [sync.finish(sync.create_pending("p", 100, "EUR").id, "approved").id
            for _ in range(8 * SYNCED_CHUNK)]
    go = tmp_path / "go"
    screen = subprocess.Popen([sys.executable, "-m", "tests.helpers.pending_waiter", str(path),
                               str(go)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert screen.stdout.readline().strip() == "ready"
    reader = sqlite3.connect(path)
    screen_row_at_commit: list[int] = []

    def on_statement(sql: str) -> None:
        if sql != "COMMIT":  # traced once per chunk, before it commits
            return
        if not screen_row_at_commit:
            go.touch()  # the screen starts its commit while this chunk holds the lock
            time.sleep(0.2)
        screen_row_at_commit.append(reader.execute(
            "SELECT count(*) FROM donations WHERE project_id = 'screen'").fetchone()[0])

    sync.db.conn.set_trace_callback(on_statement)
    sync.mark_synced(done)
    sync.db.conn.set_trace_callback(None)
    assert screen.stdout.readline().strip() == "done"
    assert screen.wait(10) == 0
    assert len(screen_row_at_commit) == 8
    assert screen_row_at_commit[0] == 0 and screen_row_at_commit[-1] == 1, screen_row_at_commit


@given(st.integers(min_value=0, max_value=(4102444800 * 10**9) - 1))  # 1970 to 2100
def test_utc_stamp_writes_what_datetime_writes(ns):
    # The cached-second formatter against the datetime formatting it replaced, for any instant
    # (and in any order, so the cache is hit and missed).
    as_datetime = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=ns // 1000)
    expected = as_datetime.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert utc_stamp(ns) == expected
    assert utc_stamp(ns) == expected  # from the cache


def test_utc_now_is_now():
    before = dt.datetime.now(dt.UTC) - dt.timedelta(milliseconds=1)
    stamp = dt.datetime.fromisoformat(utc_now().replace("Z", "+00:00"))
    assert before <= stamp <= dt.datetime.now(dt.UTC)
