"""Numbered schema migrations for the ledger database (``kiosk.db``).

``PRAGMA user_version`` holds the number of the last migration applied. Each migration runs in
its own ``BEGIN IMMEDIATE`` transaction together with the version bump, so a crash leaves the
database at a whole version. Migrations only ever add: a new version must leave tables that the
previous release can still read and write (the appliance rolls back one version on a failed
update and the database is never copied back): new tables, new columns with a DEFAULT (or
nullable), new indexes; never a rename, a drop, or a new NOT NULL column without a default.

A migration gets the :class:`~kiosk.core.db.Database`: new tables and columns go through
sqlite-utils' Table API on ``db.utils`` (``db.utils.create_table(..., strict=True)``,
``db.utils["donations"].add_column(...)``), whose statements join the migration's transaction.
Migration 1 stays SQL: it has shipped, and its CHECK constraints, partial index and
AUTOINCREMENT have no Table API form.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from kiosk.core.db import Database, immediate

Migration = Callable[[Database], None]


def _v1_ledger(db: Database) -> None:
    # Not executescript(): it would COMMIT and break the migration's transaction.
    _run_script(db.conn, """
        CREATE TABLE counters (
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE donations (
            id TEXT PRIMARY KEY,                       -- uuid4, the reference sent to the terminal
            seq INTEGER NOT NULL UNIQUE,               -- per-device order; never reused
            boot_id TEXT NOT NULL,
            project_id TEXT NOT NULL,
            amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
            currency TEXT NOT NULL CHECK (length(currency) = 3),
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN
                ('pending', 'approved', 'declined', 'cancelled', 'failed', 'unknown')),
            created_at TEXT NOT NULL,                  -- wall clock: informative only
            created_mono_ns INTEGER NOT NULL,          -- CLOCK_BOOTTIME within boot_id
            finished_at TEXT,
            finished_mono_ns INTEGER,
            auth_code TEXT,
            card_suffix TEXT CHECK (card_suffix IS NULL OR
                (length(card_suffix) <= 4 AND card_suffix NOT GLOB '*[^0-9]*')),
            reason TEXT,
            sync_state TEXT NOT NULL DEFAULT 'unsynced'
                CHECK (sync_state IN ('unsynced', 'synced', 'quarantined')),
            sync_attempts INTEGER NOT NULL DEFAULT 0,
            sync_error TEXT,
            synced_at TEXT,
            CHECK (state = 'pending' OR finished_at IS NOT NULL)
        ) STRICT;
        CREATE INDEX donations_outbox ON donations (sync_state, seq);
        CREATE INDEX donations_state ON donations (state);
        -- Money taken (or possibly taken) that the server has not confirmed: the offline cap.
        -- The cap itself bounds how many rows this index ever holds.
        CREATE INDEX donations_at_risk ON donations (amount_cents)
            WHERE sync_state != 'synced' AND state IN ('pending', 'approved', 'unknown');

        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,                       -- JSON
            updated_at TEXT NOT NULL
        ) STRICT;

        CREATE TABLE audit_log (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            boot_id TEXT NOT NULL,
            mono_ns INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}',         -- JSON
            sent INTEGER NOT NULL DEFAULT 0 CHECK (sent IN (0, 1))
        ) STRICT;

        CREATE TABLE service_status (
            service TEXT PRIMARY KEY,
            status TEXT NOT NULL,                      -- JSON
            updated_at TEXT NOT NULL
        ) STRICT;

        CREATE TABLE catalog_projects (
            id TEXT PRIMARY KEY,
            position INTEGER NOT NULL,
            association TEXT NOT NULL,
            title TEXT NOT NULL,
            summary TEXT NOT NULL,
            image_sha256 TEXT CHECK (image_sha256 IS NULL OR length(image_sha256) = 64),
            image_bytes INTEGER,
            goal_cents INTEGER NOT NULL CHECK (goal_cents >= 0),
            raised_cents INTEGER NOT NULL CHECK (raised_cents >= 0),
            currency TEXT NOT NULL,
            url TEXT,
            starts_on TEXT,
            ends_on TEXT,
            active INTEGER NOT NULL CHECK (active IN (0, 1))
        ) STRICT;

        CREATE TABLE catalog_meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) STRICT;

        CREATE TABLE featured (
            position INTEGER PRIMARY KEY,
            project_id TEXT NOT NULL UNIQUE
        ) STRICT;
        """)


def _v2_catalog_supporters(db: Database) -> None:
    # How many donors a project has, when the central catalog says (optional there).
    db.utils["catalog_projects"].add_column("supporters", int)


def _v3_catalog_asks(db: Database) -> None:
    # A project's volunteer asks, when the central catalog has any (optional there); replaced
    # with the projects in the same catalog switch.
    db.utils.create_table("catalog_asks", {
        "project_id": str, "position": int, "id": str, "what": str, "starts_at": str,
        "place": str, "duration_minutes": int, "needed": int, "signed_up": int, "url": str,
    }, pk=("project_id", "position"), not_null={
        "id", "what", "starts_at", "place", "duration_minutes", "needed", "signed_up", "url"},
        strict=True)


def _v4_catalog_pledges(db: Database) -> None:
    # A project's open pledge, when the central catalog has one (optional there); replaced
    # with the projects in the same catalog switch.
    db.utils.create_table("catalog_pledges", {
        "project_id": str, "id": str, "commitment": str, "threshold": int, "count": int,
        "deadline": str, "reached": int, "url": str,
    }, pk="project_id", not_null={
        "id", "commitment", "threshold", "count", "deadline", "reached", "url"}, strict=True)


def _v5_catalog_sponsor(db: Database) -> None:
    # A project's matching sponsor, when the central catalog has one (optional there; all
    # five are NULL without one). The shop's month total lives in catalog_meta.
    table = db.utils["catalog_projects"]
    for column, kind in (("sponsor_name", str), ("sponsor_text", str),
                         ("sponsor_budget_cents", int), ("sponsor_budget_left_cents", int),
                         ("sponsor_ends_on", str)):
        table.add_column(column, kind)


def _v6_engagement_counts(db: Database) -> None:
    # Anonymous counts per UTC hour, project and counter (kiosk.core.funnel); `sent` is 1 once
    # the central service stored the row at its present count.
    db.utils.create_table("engagement_counts", {
        "hour": str, "project_id": str, "counter": str, "count": int, "sent": int,
    }, pk=("hour", "project_id", "counter"), not_null={"count", "sent"},
        defaults={"count": 0, "sent": 0}, strict=True)
    db.utils["engagement_counts"].create_index(["sent", "hour"],
                                               index_name="engagement_counts_unsent")


# The offline cap's predicate: money taken (or possibly taken) the server has not confirmed.
# The same words as the donations_at_risk index; the triggers below keep its total.
AT_RISK = "sync_state != 'synced' AND state IN ('pending', 'approved', 'unknown')"
AT_RISK_COUNTER = "at_risk_cents"


def _at_risk(row: str) -> str:
    return (f"({row}.sync_state != 'synced' AND "
            f"{row}.state IN ('pending', 'approved', 'unknown'))")


def _v7_at_risk_counter(db: Database) -> None:
    # The offline cap's total as one counters row, so the guard in create_pending reads one row
    # instead of summing every unsynced donation. Triggers, not Python, keep it: they run in the
    # statement that changes the row, whoever writes it (this release, a rolled-back release
    # that has never heard of the counter, an operator's repair), so it cannot drift.
    conn = db.conn
    conn.execute(
        "INSERT INTO counters (name, value) VALUES (?, (SELECT coalesce(sum(amount_cents), 0)"
        f" FROM donations WHERE {AT_RISK})) ON CONFLICT (name) DO UPDATE SET value ="
        " excluded.value", (AT_RISK_COUNTER,))
    update = f"UPDATE counters SET value = value + {{}} WHERE name = '{AT_RISK_COUNTER}';"
    new, old = _at_risk("NEW"), _at_risk("OLD")
    # One execute per trigger: _run_script's split on ";\n" would cut a trigger's body.
    conn.execute(f"CREATE TRIGGER donations_at_risk_insert AFTER INSERT ON donations"
                 f" WHEN {new} BEGIN {update.format('NEW.amount_cents')} END")
    conn.execute(f"CREATE TRIGGER donations_at_risk_delete AFTER DELETE ON donations"
                 f" WHEN {old} BEGIN {update.format('-OLD.amount_cents')} END")
    moved = (f"CASE WHEN {new} THEN NEW.amount_cents ELSE 0 END"
             f" - CASE WHEN {old} THEN OLD.amount_cents ELSE 0 END")
    # Only when the total moves: pending -> approved or unknown leaves it as it is, and an
    # UPDATE of the counters page would cost finish a second page written to the WAL.
    conn.execute(f"CREATE TRIGGER donations_at_risk_update"
                 f" AFTER UPDATE OF state, sync_state, amount_cents ON donations"
                 f" WHEN {moved} != 0 BEGIN {update.format(moved)} END")


SEQ_COUNTER = "donation_seq"


def _v8_donation_seq_trigger(db: Database) -> None:
    # The sequence counter follows every inserted row, so create_pending takes its seq from the
    # counter inside its one INSERT (one statement where there were two). max(): a rolled-back
    # release bumps the counter itself before inserting, and must find it where it left it.
    db.conn.execute(
        "CREATE TRIGGER donations_seq AFTER INSERT ON donations BEGIN"
        f" INSERT INTO counters (name, value) VALUES ('{SEQ_COUNTER}', NEW.seq)"
        " ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value); END")


# Append only. Never edit a migration that has shipped; add a new one.
MIGRATIONS: list[Migration] = [_v1_ledger, _v2_catalog_supporters, _v3_catalog_asks,
                               _v4_catalog_pledges, _v5_catalog_sponsor,
                               _v6_engagement_counts, _v7_at_risk_counter,
                               _v8_donation_seq_trigger]


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    for statement in script.split(";\n"):
        if statement.strip():
            conn.execute(statement)


def schema_version(db: Database) -> int:
    return db.conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: Database, target: int | None = None) -> int:
    """Apply pending migrations up to ``target`` (default: all). Returns the new version."""
    target = len(MIGRATIONS) if target is None else target
    current = schema_version(db)
    if current > len(MIGRATIONS):
        # A newer release migrated this file and was then rolled back (kiosk.ops.updater). Every
        # migration is additive, so this release's queries still work on the newer schema.
        return current
    for number in range(current + 1, target + 1):
        with immediate(db) as conn:
            # Re-read inside the lock: another process may have migrated meanwhile.
            if conn.execute("PRAGMA user_version").fetchone()[0] >= number:
                continue
            MIGRATIONS[number - 1](db)
            if not conn.in_transaction:
                # Something committed half a migration (an older sqlite-utils did on create).
                raise sqlite3.OperationalError(f"migration {number} ended its own transaction")
            conn.execute(f"PRAGMA user_version = {number}")
    return schema_version(db)


def schema_problems(db: Database) -> list[str]:
    """What this release expects of the schema and ``db`` lacks (tables, STRICT, columns and
    their types, indexes), read through sqlite-utils' introspection. Extra tables and columns
    are fine: a newer release may have added them."""
    expected = Database(sqlite3.connect(":memory:", isolation_level=None))
    try:
        migrate(expected)
        have = {t.name: t for t in db.utils.tables}
        problems = []
        for want in expected.utils.tables:
            table = have.get(want.name)
            if table is None:
                problems.append(f"table {want.name} is missing")
                continue
            if want.strict and not table.strict:
                problems.append(f"table {want.name} is not STRICT")
            columns = table.columns_dict
            for name, kind in want.columns_dict.items():
                if name not in columns:
                    problems.append(f"table {want.name} has no column {name}")
                elif columns[name] is not kind:
                    problems.append(f"column {want.name}.{name} is {columns[name].__name__}, "
                                    f"expected {kind.__name__}")
            indexes = {i.name for i in table.indexes}
            problems += [f"index {i.name} on {want.name} is missing" for i in want.indexes
                         if i.name not in indexes]
        triggers = {t.name for t in db.utils.triggers}
        problems += [f"trigger {t.name} on {t.table} is missing" for t in expected.utils.triggers
                     if t.name not in triggers]
        return problems
    finally:
        expected.conn.close()
