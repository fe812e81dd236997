"""Crash test: SIGKILL a real writer process at random moments, 200 times, and check after
each kill that the database is sound and every commit that had returned is there, in the
state it was last committed with."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from kiosk.core.ledger import Ledger, quick_check
from tests.conftest import GENEROUS
from tests.helpers.ledger_writer import FINALS

CYCLES = 200
COUNTER_CYCLES = 40
REPO = Path(__file__).resolve().parents[2]


def _kill_at_random(db_path: Path, seed: int, delay: float) -> list[str]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.helpers.ledger_writer",
                             str(db_path), str(seed)], cwd=REPO, stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines = []
    for line in proc.stdout:  # everything before "ready" is crash recovery
        if line.strip() == "ready":
            break
        lines.append(line.strip())
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    lines.extend(line.strip() for line in proc.stdout)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return lines


def _planned_finals(seed: int, count: int) -> list[str]:
    """The final states the writer started with ``seed`` commits, in order (it draws from
    its seeded generator the same way for every donation)."""
    rng = random.Random(seed)
    planned = []
    for _ in range(count):
        rng.randrange(8)
        rng.randrange(1, 15_000)
        planned.append(rng.choice(FINALS))
    return planned


def test_sigkill_never_loses_or_duplicates_a_committed_donation(tmp_path):
    rng = random.Random(20261121)
    db_path = tmp_path / "kiosk.db"
    committed: dict[str, str] = {}  # id -> last state whose commit had returned
    total_kills_mid_flow = 0
    for cycle in range(CYCLES):
        lines = _kill_at_random(db_path, seed=cycle, delay=rng.uniform(0, 0.06))
        planned = _planned_finals(cycle, len(lines) + 1)
        next_final: dict[str, str] = {}  # id -> the one final state its writer would commit
        for line in lines:
            kind, donation_id, *state = line.split()
            committed[donation_id] = state[0] if kind == "F" else "pending"
            if kind == "P":
                next_final[donation_id] = planned[len(next_final)]

        ledger = Ledger.open(db_path, GENEROUS)  # runs quick_check: raises if corrupt
        try:
            assert quick_check(ledger.db) == []
            rows = dict(ledger.db.conn.execute("SELECT id, state FROM donations"))
            missing = set(committed) - set(rows)
            assert not missing, f"cycle {cycle}: committed donations lost: {missing}"
            for donation_id, state in committed.items():
                if state == "pending":
                    # The final commit may have returned just before the kill, unprinted: then
                    # the row holds exactly the state that commit wrote, nothing else.
                    assert rows[donation_id] in ("pending", next_final[donation_id]), \
                        f"cycle {cycle}: {donation_id} is {rows[donation_id]}"
                    total_kills_mid_flow += rows[donation_id] == "pending"
                else:
                    assert rows[donation_id] == state, f"cycle {cycle}: {donation_id}"
            # At most one donation can exist that the parent never heard of: the one whose
            # pending commit returned after the last line was written.
            assert len(set(rows) - set(committed)) <= 1
            seqs = [r[0] for r in ledger.db.conn.execute("SELECT seq FROM donations ORDER BY seq")]
            assert seqs == list(range(1, len(seqs) + 1)), "sequence has a gap or a repeat"
            for donation_id in set(rows) - set(committed):
                committed[donation_id] = rows[donation_id]
            for donation_id, state in committed.items():
                if state == "pending":  # now known: the next writer resolves it, or it stays
                    committed[donation_id] = rows[donation_id]
        finally:
            ledger.close()
    assert len(committed) > CYCLES  # the writer really made progress between kills
    assert total_kills_mid_flow > 0  # and some kills landed between pending and final


def test_sigkill_mid_write_leaves_the_at_risk_counter_equal_to_the_sum(tmp_path):
    """Kill a writer that creates, finishes, syncs, quarantines and prunes; after each kill
    the offline cap's counter must equal the rows' sum before anything repairs it."""
    rng = random.Random(20261130)
    db_path = tmp_path / "kiosk.db"
    rows_seen = at_risk_seen = 0
    for cycle in range(COUNTER_CYCLES):
        proc = subprocess.Popen([sys.executable, "-m", "tests.helpers.at_risk_writer",
                                 str(db_path), str(cycle)], cwd=REPO, stdout=subprocess.PIPE,
                                text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0, 0.05))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL

        looking = Ledger.open_readonly(db_path, GENEROUS)  # reads only: repairs nothing
        try:
            assert looking.at_risk_counter_problem() is None, f"cycle {cycle}"
            rows_seen = max(rows_seen, len(looking.between(None, None)))
            at_risk_seen = max(at_risk_seen, looking.at_risk_cents())
        finally:
            looking.close()
        ledger = Ledger.open(db_path, GENEROUS)
        assert ledger.audit_entries("at_risk_counter_repaired") == []
        ledger.close()
    assert rows_seen > COUNTER_CYCLES  # the writer really wrote between kills
    assert at_risk_seen > 0  # and the counter had money in it to get wrong
