"""Schema migrations: from an empty database and from every earlier version."""

from __future__ import annotations

import pytest

from kiosk.core import db as dbmod
from kiosk.core.ledger import Ledger
from kiosk.core.schema import MIGRATIONS, migrate, schema_problems, schema_version
from tests.conftest import GENEROUS

LATEST = len(MIGRATIONS)


def _schema(db) -> set[tuple[str, str]]:
    return {(name, sql) for name, sql in db.conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")}


def test_empty_database_reaches_the_latest_version(tmp_path):
    db = dbmod.connect(tmp_path / "k.db")
    assert schema_version(db) == 0
    assert migrate(db) == LATEST
    strict = {name for name, sql in _schema(db) if sql and sql.startswith("CREATE TABLE")
              and not sql.rstrip().endswith("STRICT")}
    assert strict == set(), f"tables that are not STRICT: {strict}"
    assert migrate(db) == LATEST  # idempotent


@pytest.mark.parametrize("start", range(1, LATEST + 1))
def test_upgrade_from_every_earlier_version_keeps_data(tmp_path, start):
    old = dbmod.connect(tmp_path / "old.db")
    migrate(old, target=start)
    with dbmod.immediate(old) as conn:  # a row written by that version's software
        conn.execute("INSERT INTO donations (id, seq, boot_id, project_id, amount_cents,"
                     " currency, state, created_at, created_mono_ns, finished_at)"
                     " VALUES ('7f0c0c54-0000-4000-8000-000000000001', 1, 'b', 'proj', 1234,"
                     " 'EUR', 'approved', '2026-01-01T00:00:00Z', 1, '2026-01-01T00:00:01Z')")
        # From version 8 a trigger has already moved the counter with the insert.
        conn.execute("INSERT INTO counters (name, value) VALUES ('donation_seq', 1)"
                     " ON CONFLICT (name) DO NOTHING")
    old.conn.close()

    ledger = Ledger.open(tmp_path / "old.db", GENEROUS)
    assert schema_version(ledger.db) == LATEST
    kept = ledger.get("7f0c0c54-0000-4000-8000-000000000001")
    assert kept.amount_cents == 1234 and kept.state == "approved"
    assert ledger.create_pending("proj", 500, "EUR").seq == 2

    fresh = dbmod.connect(tmp_path / "fresh.db")
    migrate(fresh)
    assert _schema(ledger.db) == _schema(fresh)  # upgraded == created new


def test_a_newer_database_is_used_as_it_is_never_downgraded(tmp_path):
    # After a rolled-back update the file may carry one newer, additive migration.
    db = dbmod.connect(tmp_path / "k.db")
    migrate(db)
    with dbmod.immediate(db) as conn:
        conn.execute("ALTER TABLE donations ADD COLUMN newer_field TEXT")
        conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    assert migrate(db) == LATEST + 1
    db.conn.close()
    ledger = Ledger.open(tmp_path / "k.db", GENEROUS)
    donation = ledger.create_pending("proj", 500, "EUR")
    assert ledger.finish(donation.id, "approved").state == "approved"


def test_a_failing_migration_leaves_the_previous_version(tmp_path, monkeypatch):
    db = dbmod.connect(tmp_path / "k.db")

    def broken(db):
        db.utils.create_table("half_done", {"x": int}, strict=True)
        raise RuntimeError("boom")

    monkeypatch.setattr("kiosk.core.schema.MIGRATIONS", [*MIGRATIONS, broken])
    with pytest.raises(RuntimeError, match="boom"):
        migrate(db)
    assert schema_version(db) == LATEST
    assert "half_done" not in {n for n, _ in _schema(db)}


def test_a_table_api_migration_joins_the_migration_transaction(tmp_path, monkeypatch):
    db = dbmod.connect(tmp_path / "k.db")

    def additive(db):
        db.utils.create_table("extra", {"id": int, "note": str}, pk="id", strict=True)
        db.utils["donations"].add_column("extra_note", str)

    monkeypatch.setattr("kiosk.core.schema.MIGRATIONS", [*MIGRATIONS, additive])
    assert migrate(db) == LATEST + 1
    assert migrate(db) == LATEST + 1  # idempotent: already at that version
    assert db.utils["extra"].strict
    assert db.utils["donations"].columns_dict["extra_note"] is str
    assert schema_problems(db) == []


def test_schema_problems_name_what_this_release_needs(tmp_path):
    db = dbmod.connect(tmp_path / "k.db")
    migrate(db)
    assert schema_problems(db) == []
    with dbmod.immediate(db) as conn:
        conn.execute("DROP TABLE featured")
        conn.execute("DROP INDEX donations_at_risk")
    assert sorted(schema_problems(db)) == ["index donations_at_risk on donations is missing",
                                           "table featured is missing"]
