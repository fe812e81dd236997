"""The bridge journal's durability settings, read back from its own connection."""

from __future__ import annotations

from firmware_bridge.journal import Journal


def test_journal_connection_is_wal_with_synchronous_full(tmp_path):
    journal = Journal(tmp_path / "journal.db")
    try:
        conn = journal._conn  # the connection every write goes through
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        # 2 = FULL: in WAL mode NORMAL can roll back a committed transaction after a power cut
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    finally:
        journal.close()


def test_a_request_in_flight_from_before_the_sent_mark_stays_unknown(tmp_path):
    """A journal from the release before ``sent`` was recorded: whether its request in flight
    went out is not known, so the restart must not call it "never sent" (link_error)."""
    import sqlite3

    from firmware_bridge.journal import SCHEMA

    path = tmp_path / "journal.db"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    conn.execute("INSERT INTO payments (reference, short_reference, amount_cents, currency,"
                 " protocol, state, created_at) VALUES ('r-old', 'r-old', 500, 'EUR',"
                 " 'concert-v2', 'in_flight', '2024-01-01T00:00:00Z')")
    conn.commit()
    conn.close()
    journal = Journal(path)
    try:
        settled, late = journal.recover(late_window_s=600)
        assert settled == ["r-old"] and late is None
        assert journal.get("r-old").outcome.status == "unknown"
        journal.begin("r-new", "r-new", 700, "EUR", "concert-v2")  # never sent
        assert journal.recover(late_window_s=600) == (["r-new"], None)
        assert journal.get("r-new").outcome.status == "link_error"
    finally:
        journal.close()
