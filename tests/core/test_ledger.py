"""The ledger on real SQLite files: state machine, guards, full disk, corruption, retention."""

from __future__ import annotations

import datetime as dt
import itertools
import sqlite3
import uuid

import pytest

from kiosk.core import db as dbmod
from kiosk.core.ledger import (
    FINAL_STATES,
    OUT_OF_SERVICE_MARKER,
    GuardRefused,
    IllegalTransition,
    Ledger,
    LedgerCorrupt,
    LedgerUnavailable,
    Limits,
    State,
    mask_card,
    quick_check,
)
from tests.conftest import GENEROUS

ALL_STATES = list(State)


def _donation_in(ledger: Ledger, state: State):
    donation = ledger.create_pending("proj-a", 500, "EUR")
    if state is not State.PENDING:
        donation = ledger.finish(donation.id, state)
    return donation


@pytest.mark.parametrize(("old", "new"), list(itertools.product(ALL_STATES, ALL_STATES)))
def test_every_transition(ledger, old, new):
    donation = _donation_in(ledger, old)
    legal = old is State.PENDING and new is not State.PENDING
    if legal:
        assert ledger.finish(donation.id, new).state == new
    else:
        with pytest.raises(IllegalTransition):
            ledger.finish(donation.id, new)
        assert ledger.get(donation.id).state == old  # nothing changed


def test_unknown_state_and_unknown_id_raise(ledger):
    donation = ledger.create_pending("proj-a", 500, "EUR")
    with pytest.raises(ValueError):
        ledger.finish(donation.id, "refunded")
    with pytest.raises(IllegalTransition, match="no donation"):
        ledger.finish(str(uuid.uuid4()), "approved")


def test_new_donation_has_identity_order_and_clock_fields(ledger):
    first = ledger.create_pending("proj-a", 250, "EUR")
    second = ledger.create_pending("proj-b", 1000, "EUR")
    assert uuid.UUID(first.id).version == 4
    assert (first.seq, second.seq) == (1, 2)
    assert first.state == "pending" and first.sync_state == "unsynced"
    assert first.boot_id and first.created_mono_ns > 0 and first.created_at.endswith("Z")
    assert second.created_mono_ns >= first.created_mono_ns
    done = ledger.finish(first.id, "approved", auth_code="123456", card_suffix="************4242")
    assert done.card_suffix == "4242" and done.auth_code == "123456"
    assert done.finished_at and done.finished_mono_ns >= first.created_mono_ns
    assert ledger.pending() == [second]


def test_amounts_are_integer_cents_only(ledger):
    for bad in (5.0, 0.29 * 100, "500", True, 0, -100):
        with pytest.raises(GuardRefused) as info:
            ledger.create_pending("proj-a", bad, "EUR")
        assert info.value.code == "bad_amount"
    assert ledger.summary()["by_state"]["pending"]["count"] == 0


def test_card_number_is_never_stored_whole(ledger):
    assert mask_card("4970101234564242") == "4242"
    assert mask_card("497010XXXXXX4242") == "4242"
    assert mask_card("") is None and mask_card(None) is None
    donation = ledger.create_pending("proj-a", 500, "EUR")
    ledger.finish(donation.id, "approved", card_suffix="4970 1012 3456 4242")
    assert ledger.get(donation.id).card_suffix == "4242"
    with pytest.raises(sqlite3.IntegrityError):  # the schema refuses it too
        with dbmod.immediate(ledger.db) as conn:
            conn.execute("UPDATE donations SET card_suffix = '4970101234564242'")


def test_schema_is_strict(ledger):
    ledger.create_pending("proj-a", 500, "EUR")
    with pytest.raises(sqlite3.Error, match="cannot store REAL"):
        with dbmod.immediate(ledger.db) as conn:
            conn.execute("UPDATE donations SET amount_cents = 5.5")


def test_pragmas_on_every_connection(tmp_path):
    db = dbmod.connect(tmp_path / "x.db")
    conn = db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    # SQLite's sleeping busy handler off: the connection polls for locks (test_db_lock).
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 0


def test_immediate_takes_the_write_lock_at_begin(tmp_path, monkeypatch):
    monkeypatch.setattr(dbmod, "BUSY_TIMEOUT_MS", 50)
    first = dbmod.connect(tmp_path / "x.db")
    second = dbmod.connect(tmp_path / "x.db")
    with dbmod.immediate(first):
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            second.conn.execute("BEGIN IMMEDIATE")


# -- guards --------------------------------------------------------------------------------


def test_per_donation_cap(tmp_path):
    led = Ledger.open(tmp_path / "k.db", Limits(5000, 100_000, 0))
    assert led.create_pending("p", 5000, "EUR").amount_cents == 5000
    with pytest.raises(GuardRefused) as info:
        led.create_pending("p", 5001, "EUR")
    assert info.value.code == "over_cap" and "5000" in str(info.value)


def test_offline_cap_counts_money_not_yet_confirmed(tmp_path):
    led = Ledger.open(tmp_path / "k.db", Limits(5000, 10_000, 0))
    a = led.create_pending("p", 5000, "EUR")
    led.finish(a.id, "approved")
    b = led.create_pending("p", 4000, "EUR")  # pending counts: the money may be taken
    with pytest.raises(GuardRefused) as info:
        led.create_pending("p", 1001, "EUR")
    assert info.value.code == "offline_cap"
    led.finish(b.id, "declined")  # declined money was never taken
    c = led.create_pending("p", 5000, "EUR")
    led.finish(c.id, "unknown")  # unknown might have been taken: still counts
    with pytest.raises(GuardRefused):
        led.create_pending("p", 1, "EUR")
    led.mark_synced([a.id])  # confirmed by the server: no longer at risk
    assert led.create_pending("p", 5000, "EUR").state == "pending"
    assert led.at_risk_cents() == 10_000


def test_disk_space_guard(tmp_path):
    led = Ledger.open(tmp_path / "k.db", Limits(5000, 100_000, 2**62))
    with pytest.raises(GuardRefused) as info:
        led.create_pending("p", 500, "EUR")
    assert info.value.code == "disk_full" and "MiB" in str(info.value)
    assert led.summary()["by_state"]["pending"]["count"] == 0


def test_bad_project_and_currency(ledger):
    with pytest.raises(GuardRefused, match="project"):
        ledger.create_pending("", 500, "EUR")
    with pytest.raises(GuardRefused, match="currency"):
        ledger.create_pending("p", 500, "euro")


def test_full_disk_refuses_new_donations_and_keeps_every_row(tmp_path):
    led = Ledger.open(tmp_path / "k.db", GENEROUS)
    kept = []
    for i in range(20):
        d = led.create_pending(f"proj-{i}", 100 + i, "EUR")
        kept.append(led.finish(d.id, "approved", auth_code=f"A{i}"))
    open_one = led.create_pending("proj-open", 700, "EUR")
    # A database that cannot grow: the same failure as a full disk (SQLITE_FULL).
    pages = led.db.conn.execute("PRAGMA page_count").fetchone()[0]
    led.db.conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(LedgerUnavailable, match="full"):
        for _ in range(500):  # fill the last free space, then one more is refused
            led.create_pending("proj-x" * 50, 100, "EUR")
    after = Ledger.open(tmp_path / "k.db", GENEROUS)
    assert quick_check(after.db) == []
    for d in kept:
        assert after.get(d.id) == d
    assert after.get(open_one.id).state == "pending"
    rows = after.db.conn.execute("SELECT count(*) FROM donations").fetchone()[0]
    seqs = [r[0] for r in after.db.conn.execute("SELECT seq FROM donations ORDER BY seq")]
    assert seqs == list(range(1, rows + 1))  # nothing half-written, no gap


# -- corruption ----------------------------------------------------------------------------


def test_corrupt_database_is_moved_aside_never_deleted(tmp_path):
    path = tmp_path / "kiosk.db"
    led = Ledger.open(path, GENEROUS)
    led.create_pending("p", 500, "EUR")
    led.close()
    raw = bytearray(path.read_bytes())
    raw[0:16] = b"this is garbage!"
    path.write_bytes(bytes(raw))
    with pytest.raises(LedgerCorrupt) as info:
        Ledger.open(path, GENEROUS)
    assert "kioskctl db resume" in str(info.value)
    assert not path.exists()
    moved = list((tmp_path / "corrupt").glob("kiosk-*/kiosk.db"))
    assert len(moved) == 1 and moved[0].read_bytes() == bytes(raw)
    assert (tmp_path / OUT_OF_SERVICE_MARKER).exists()
    with pytest.raises(LedgerCorrupt, match="out of service"):  # stays out after a restart
        Ledger.open(path, GENEROUS)
    (tmp_path / OUT_OF_SERVICE_MARKER).unlink()
    assert Ledger.open(path, GENEROUS).summary()["by_state"]["pending"]["count"] == 0


def test_damaged_pages_fail_quick_check(tmp_path):
    path = tmp_path / "kiosk.db"
    led = Ledger.open(path, GENEROUS)
    for i in range(300):
        led.create_pending(f"project-{i:04d}-" + "x" * 40, 500, "EUR")
    led.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    led.close()
    raw = bytearray(path.read_bytes())
    page = 4096
    for offset in range(3 * page + 100, 6 * page, 7):  # scribble over a few b-tree pages
        raw[offset] = 0xA5
    path.write_bytes(bytes(raw))
    with pytest.raises(LedgerCorrupt):
        Ledger.open(path, GENEROUS)
    assert list((tmp_path / "corrupt").glob("kiosk-*/kiosk.db"))


# -- retention -----------------------------------------------------------------------------


def test_retention_prunes_only_old_synced_final_donations(ledger):
    now = dt.datetime.now(dt.UTC)
    made = {}
    for name, state in [("synced_old", "approved"), ("synced_new", "approved"),
                        ("unsynced_old", "approved"), ("quarantined_old", "approved"),
                        ("unknown_old", "unknown"), ("declined_old", "declined"),
                        ("pending", None)]:
        d = ledger.create_pending(name, 500, "EUR")
        if state:
            ledger.finish(d.id, state)
        made[name] = d.id
    ledger.mark_synced([made["synced_old"], made["synced_new"], made["unknown_old"],
                        made["declined_old"]])
    ledger.quarantine(made["quarantined_old"], "conflict")
    old = (now - dt.timedelta(days=100)).isoformat().replace("+00:00", "Z")
    with dbmod.immediate(ledger.db) as conn:
        conn.execute("UPDATE donations SET synced_at = ? WHERE id != ?",
                     (old, made["synced_new"]))
    assert ledger.prune(retention_days=90, now=now) == 2  # synced_old, declined_old
    left = {r[0] for r in ledger.db.conn.execute("SELECT project_id FROM donations")}
    assert left == {"synced_new", "unsynced_old", "quarantined_old", "unknown_old", "pending"}
    nxt = ledger.create_pending("after-prune", 500, "EUR")
    assert nxt.seq == 8  # the sequence never goes back, even after pruning the newest rows


def test_outbox_is_ordered_by_seq_and_skips_pending(ledger):
    ids = []
    for i in range(5):
        d = ledger.create_pending(f"p{i}", 100 + i, "EUR")
        ids.append(d.id)
    for i in (4, 0, 2):
        ledger.finish(ids[i], "approved")
    assert [d.id for d in ledger.outbox(10)] == [ids[0], ids[2], ids[4]]
    assert [d.id for d in ledger.outbox(1, after_seq=1)] == [ids[2]]
    ledger.mark_synced([ids[0]])
    ledger.record_sync_failure([ids[2]], "HTTP 503")
    assert ledger.get(ids[2]).sync_attempts == 1 and ledger.get(ids[2]).sync_error == "HTTP 503"
    assert [d.id for d in ledger.outbox(10)] == [ids[2], ids[4]]


def test_settings_audit_and_service_status(ledger):
    assert ledger.get_setting("missing", 7) == 7
    ledger.set_setting("featured_version", 3)
    ledger.set_setting("featured_version", 4)
    assert ledger.get_setting("featured_version") == 4
    first = ledger.audit("owner", "pin_failed", attempt=1)
    second = ledger.audit("owner", "featured_changed", ids=["a", "b"])
    assert second == first + 1
    ledger.set_service_status("sync", {"online": False, "alarms": ["token revoked"]})
    status = ledger.service_status()["sync"]
    assert status["alarms"] == ["token revoked"] and status["updated_at"]


def test_final_states_are_the_five_documented_ones():
    assert {s.value for s in FINAL_STATES} == {"approved", "declined", "cancelled", "failed",
                                               "unknown"}
