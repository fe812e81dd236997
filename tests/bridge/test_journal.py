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
