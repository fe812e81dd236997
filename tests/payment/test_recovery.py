"""kiosk.payment.recovery against the real bridge service and a real ledger file, and ``kioskctl
simulate`` end to end (ledger, bridge socket, simulator on a pty)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from firmware_bridge.concert_v2 import short_reference
from kiosk.core.ledger import Ledger
from kiosk.ops.kioskctl import main as kioskctl
from kiosk.payment.client import BridgeClient, BridgeOutcome
from kiosk.payment.recovery import NEVER_SENT, record_outcome, resolve_pending
from tests.conftest import GENEROUS, write_config


def test_resolve_pending_records_what_the_bridge_knows(make_bridge, tmp_path):
    bridge = make_bridge("approve,decline,approve+lose_answer,approve:0.5")
    ledger = Ledger.open(tmp_path / "kiosk.db", GENEROUS)
    # The screen crashed after each payment, before committing its outcome:
    approved, declined, lost, running, never_sent = (
        ledger.create_pending("p", amount, "EUR") for amount in (500, 600, 700, 800, 900))
    for donation in (approved, declined, lost):
        bridge.client.pay(donation.id, donation.amount_cents, "EUR")
    payer = threading.Thread(target=bridge.client.pay, args=(running.id, 800, "EUR"))
    payer.start()
    while bridge.client.result(running.id).status != "in_progress":
        time.sleep(0.01)

    result = resolve_pending(ledger, bridge.client)

    assert result.error is None
    assert result.resolved == {approved.id: "approved", declined.id: "declined",
                               lost.id: "unknown", never_sent.id: "failed"}
    assert result.still_pending == [running.id]
    assert ledger.get(approved.id).card_suffix == "4242"
    assert ledger.get(never_sent.id).reason == NEVER_SENT
    assert "lost" in ledger.get(lost.id).reason
    payer.join()
    assert resolve_pending(ledger, bridge.client).resolved == {running.id: "approved"}
    assert ledger.pending() == []
    # Only the bridge's own earlier sends reached the terminal: recovery never pays.
    assert len(bridge.sim.requests_seen) == 4
    ledger.close()


def test_resolve_pending_without_a_bridge_leaves_everything_pending(short_dir, tmp_path):
    ledger = Ledger.open(tmp_path / "kiosk.db", GENEROUS)
    ids = [ledger.create_pending("p", 500, "EUR").id for _ in range(2)]
    result = resolve_pending(ledger, BridgeClient(short_dir / "absent.sock"))
    assert result.error and "not running" in result.error
    assert result.still_pending == ids and result.resolved == {}
    assert [d.id for d in ledger.pending()] == ids
    ledger.close()


def test_record_outcome_maps_statuses_and_refuses_a_different_amount(tmp_path):
    ledger = Ledger.open(tmp_path / "kiosk.db", GENEROUS)
    d1, d2, d3 = (ledger.create_pending("p", 500, "EUR") for _ in range(3))
    assert record_outcome(ledger, d1, BridgeOutcome("timeout", d1.id, 500, "EUR",
                                                    reason="no ACK")).state == "failed"
    assert ledger.get(d1.id).reason == "timeout: no ACK"
    assert record_outcome(ledger, d2, BridgeOutcome("link_error", d2.id, 500,
                                                    "EUR")).state == "failed"
    wrong = record_outcome(ledger, d3, BridgeOutcome("approved", d3.id, 5000, "EUR"))
    assert wrong.state == "unknown" and "5000" in wrong.reason
    ledger.close()


def simulate(tmp_path: Path, capsys, *args: str) -> tuple[int, dict]:
    config = write_config(tmp_path)
    code = kioskctl(["--config", str(config), "simulate", *args])
    return code, json.loads(capsys.readouterr().out)


def test_kioskctl_simulate_ledger_matches_the_simulated_acquirer(tmp_path, capsys):
    code, summary = simulate(tmp_path, capsys, "--donations", "25", "--seed", "7",
                             "--work-dir", str(tmp_path / "sim"))
    assert code == 0 and summary["consistent"] is True
    assert sum(summary["ledger_states"].values()) == 25
    assert summary["ledger_states"] == summary["bridge_outcomes"]
    sim_refs = summary["simulator_approved_references"]
    assert set(summary["ledger_approved_references"]) <= set(sim_refs)
    assert set(sim_refs) <= (set(summary["ledger_approved_references"])
                             | set(summary["ledger_unknown_references"]))
    # Cross-check with the ledger file itself.
    ledger = Ledger.open(tmp_path / "sim" / "kiosk.db", GENEROUS)
    approved = [d for d in ledger.between(None, None) if d.state == "approved"]
    assert sorted(short_reference(d.id) for d in approved) == \
        summary["ledger_approved_references"]
    assert sum(d.amount_cents for d in approved) == summary["approved_cents"]
    assert ledger.pending() == []
    ledger.close()


def test_kioskctl_simulate_is_repeatable_and_speaks_v3(tmp_path, capsys):
    _, first = simulate(tmp_path, capsys, "--donations", "12", "--seed", "3",
                        "--protocol", "concert-v3")
    _, second = simulate(tmp_path, capsys, "--donations", "12", "--seed", "3",
                         "--protocol", "concert-v3")
    assert first["consistent"] and second["consistent"]
    assert first["script"] == second["script"]
    assert first["ledger_states"] == second["ledger_states"]
    # V3 carries the whole reference to the terminal.
    assert all(len(r) == 36 for r in first["simulator_approved_references"])


KIOSK_SIDE = """
import sys
from kiosk.payment.client import BridgeClient, BridgeOutcome
from kiosk.payment.port import BridgePort
from kiosk.core.ledger import Ledger, Limits
from kiosk.payment.runner import run_donation
ledger = Ledger.open(sys.argv[1], Limits(15000, 10**7, 0))
run_donation(ledger, BridgePort(BridgeClient(sys.argv[2])), "proj-1", 1700, "EUR",
             on_started=lambda ref: print(ref, flush=True), on_progress=lambda *a: None)
"""


def test_kiosk_killed_mid_payment_recovers_the_approval_from_the_bridge(make_bridge, tmp_path):
    import signal
    import subprocess
    import sys

    bridge = make_bridge("approve:0.5")
    ledger_path = tmp_path / "kiosk.db"
    Ledger.open(ledger_path, GENEROUS).close()
    kiosk = subprocess.Popen([sys.executable, "-c", KIOSK_SIDE, str(ledger_path),
                              str(bridge.service.socket_path)], stdout=subprocess.PIPE, text=True)
    reference = kiosk.stdout.readline().strip()  # pending committed, payment starting
    deadline = time.monotonic() + 3
    while not bridge.sim.requests_seen:  # the request is on the terminal
        assert time.monotonic() < deadline
        time.sleep(0.01)
    kiosk.send_signal(signal.SIGKILL)  # the screen dies while the customer pays
    kiosk.wait()

    ledger = Ledger.open(ledger_path, GENEROUS)
    assert [d.id for d in ledger.pending()] == [reference]
    deadline = time.monotonic() + 3
    while resolve_pending(ledger, bridge.client).still_pending:  # bridge still finishing
        assert time.monotonic() < deadline
        time.sleep(0.05)
    donation = ledger.get(reference)
    assert donation.state == "approved" and donation.amount_cents == 1700
    assert [a.reference for a in bridge.sim.record.approvals] == [short_reference(reference)]
    assert len(bridge.sim.requests_seen) == 1
    ledger.close()
