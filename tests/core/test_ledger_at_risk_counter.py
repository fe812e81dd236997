"""The offline cap's at-risk counter (schema migration 7): kept by triggers in the statements
that change the donations, equal to the rows' sum after any sequence of ledger operations,
initialised from existing rows by the migration, checked and repaired against the sum."""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.core import db as dbmod
from kiosk.core.ledger import GuardRefused, Ledger, Limits
from kiosk.core.schema import migrate, schema_problems

CAP = 60_000
LIMITS = Limits(max_donation_cents=15_000, offline_cap_cents=CAP, min_free_disk_bytes=0)
AT_RISK_STATES = {"pending", "approved", "unknown"}
FINALS = ["approved", "declined", "cancelled", "failed", "unknown"]

# One ledger operation: its name and the numbers it draws (indexes are taken modulo the
# donations that exist, so every drawn sequence is a valid one).
OPERATION = st.one_of(
    st.tuples(st.just("create"), st.integers(1, 15_000)),
    st.tuples(st.just("finish"), st.integers(0, 10**6), st.sampled_from(FINALS)),
    st.tuples(st.just("mark_synced"), st.lists(st.integers(0, 10**6), max_size=4)),
    st.tuples(st.just("quarantine"), st.integers(0, 10**6)),
    st.tuples(st.just("sync_failure"), st.integers(0, 10**6)),
    st.tuples(st.just("prune"), st.booleans()),
)


def _expected(model: dict[str, list]) -> int:
    """The cap's total computed from the test's own model of every row (an independent oracle:
    neither the triggers nor the index's SUM)."""
    return sum(cents for cents, state, sync in model.values()
               if sync != "synced" and state in AT_RISK_STATES)


def _apply(ledger: Ledger, model: dict[str, list], op: tuple) -> None:
    ids = list(model)
    pick = (lambda i: ids[i % len(ids)]) if ids else None
    kind = op[0]
    if kind == "create":
        amount = op[1]
        try:
            model[ledger.create_pending("proj", amount, "EUR").id] = [amount, "pending",
                                                                        "unsynced"]
        except GuardRefused as refused:
            assert refused.code == "offline_cap"
            assert _expected(model) + amount > CAP  # refused exactly when over the cap
        else:
            assert _expected(model) <= CAP
    elif not ids:
        return
    elif kind == "finish":
        donation_id = pick(op[1])
        if model[donation_id][1] == "pending":
            ledger.finish(donation_id, op[2])
            model[donation_id][1] = op[2]
    elif kind == "mark_synced":
        chosen = {pick(i) for i in op[1]}
        ledger.mark_synced(chosen)
        for donation_id in chosen:
            if model[donation_id][1] != "pending":  # the ledger never syncs a pending row
                model[donation_id][2] = "synced"
    elif kind == "quarantine":
        donation_id = pick(op[1])
        ledger.quarantine(donation_id, "refused by the central API")
        model[donation_id][2] = "quarantined"
    elif kind == "sync_failure":
        ledger.record_sync_failure([pick(op[1])], "timeout")
    elif kind == "prune":
        # Every synced row was synced within this test: a clock five days ahead prunes them
        # all, five days behind none.
        now = dt.datetime.now(dt.UTC) + dt.timedelta(days=5 if op[1] else -5)
        ledger.prune(retention_days=0, now=now)
        if op[1]:
            for donation_id, (_, state, sync) in list(model.items()):
                if sync == "synced" and state not in ("pending", "unknown"):
                    del model[donation_id]


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(OPERATION, min_size=1, max_size=40))
def test_counter_equals_the_sum_after_any_sequence_of_operations(tmp_path, operations):
    ledger = Ledger.open(tmp_path / uuid.uuid4().hex / "kiosk.db", LIMITS)
    model: dict[str, list] = {}
    try:
        for op in operations:
            _apply(ledger, model, op)
            assert ledger.at_risk_cents() == ledger.at_risk_cents_summed() == _expected(model)
        assert ledger.at_risk_counter_problem() is None
        assert ledger.check() == []
    finally:
        ledger.close()


def test_migration_initialises_the_counter_from_existing_rows(tmp_path):
    path = tmp_path / "kiosk.db"
    old = dbmod.connect(path)
    migrate(old, target=6)
    with dbmod.immediate(old) as conn:  # rows written by the release before the counter
        for seq, (cents, state, sync) in enumerate(
                [(1000, "approved", "unsynced"), (200, "pending", "unsynced"),
                 (30, "unknown", "quarantined"), (4, "approved", "synced"),
                 (5000, "declined", "unsynced")], start=1):
            conn.execute(
                "INSERT INTO donations (id, seq, boot_id, project_id, amount_cents, currency,"
                " state, created_at, created_mono_ns, finished_at, sync_state)"
                " VALUES (?, ?, 'b', 'p', ?, 'EUR', ?, '2026-01-01T00:00:00Z', 1,"
                " '2026-01-01T00:00:01Z', ?)", (str(uuid.uuid4()), seq, cents, state, sync))
    old.conn.close()
    ledger = Ledger.open(path, LIMITS)
    assert ledger.at_risk_cents() == 1230  # approved + pending + quarantined unknown
    assert ledger.audit_entries("at_risk_counter_repaired") == []
    ledger.close()


def _tamper(path, sql: str) -> None:
    """Change the file behind the ledger's back, as a hand edit would."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(sql)
    conn.close()


def test_check_names_a_wrong_counter_and_the_next_start_repairs_it_audited(tmp_path):
    path = tmp_path / "kiosk.db"
    ledger = Ledger.open(path, LIMITS)
    ledger.finish(ledger.create_pending("p", 700, "EUR").id, "approved")
    ledger.close()
    _tamper(path, "UPDATE counters SET value = 99 WHERE name = 'at_risk_cents'")

    looking = Ledger.open_readonly(path, LIMITS)
    assert looking.check() == ["the offline cap's at-risk counter says 99 cents but the "
                               "unsynced donations sum to 700 cents; the kiosk resets it to "
                               "the sum when it next starts"]
    looking.close()

    ledger = Ledger.open(path, LIMITS)
    assert ledger.at_risk_cents() == 700 and ledger.check() == []
    [(_, actor, detail)] = ledger.audit_entries("at_risk_counter_repaired")
    assert actor == "ledger" and detail["set_to_cents"] == 700 and "99 cents" in detail["problem"]
    ledger.close()


def test_a_missing_counter_row_is_named_and_repaired(tmp_path):
    path = tmp_path / "kiosk.db"
    Ledger.open(path, LIMITS).create_pending("p", 300, "EUR")
    _tamper(path, "DELETE FROM counters WHERE name = 'at_risk_cents'")
    looking = Ledger.open_readonly(path, LIMITS)
    assert looking.at_risk_cents() == 300  # sums rather than read a missing row as zero
    assert "counter is missing" in looking.check()[0]
    looking.close()
    assert Ledger.open(path, LIMITS).at_risk_cents() == 300


def test_a_dropped_trigger_is_a_schema_problem(tmp_path):
    path = tmp_path / "kiosk.db"
    Ledger.open(path, LIMITS).close()
    _tamper(path, "DROP TRIGGER donations_at_risk_update")
    db = dbmod.connect(path)
    assert schema_problems(db) == ["trigger donations_at_risk_update on donations is missing"]
    db.conn.close()


def test_the_cap_still_refuses_at_the_cap(tmp_path):
    ledger = Ledger.open(tmp_path / "kiosk.db", Limits(15_000, 20_000, 0))
    ledger.finish(ledger.create_pending("p", 15_000, "EUR").id, "approved")
    assert ledger.create_pending("p", 5_000, "EUR").amount_cents == 5_000  # exactly the cap
    with pytest.raises(GuardRefused) as refused:
        ledger.create_pending("p", 1, "EUR")
    assert refused.value.code == "offline_cap" and "20000 cents are waiting" in str(refused.value)
