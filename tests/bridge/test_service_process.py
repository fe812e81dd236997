"""The bridge service as a real process (``firmware-bridge serve --config FILE``) on its real
Unix socket: journal before the first byte, SIGKILL mid-transaction, restart, re-opened device."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from firmware_bridge.journal import Journal
from kiosk.payment.client import BridgeClient, BridgeOutcome, BridgeUnavailable
from tests.conftest import write_config


def start_service(config: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "firmware_bridge.cli", "serve", "--config",
                             str(config)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_ready(client: BridgeClient, proc: subprocess.Popen, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.status()
            return
        except BridgeUnavailable:
            if proc.poll() is not None:
                raise AssertionError(proc.stderr.read().decode()) from None
            assert time.monotonic() < deadline, "the bridge did not start"
            time.sleep(0.05)


@pytest.fixture
def served(make_sim, short_dir):
    procs: list[subprocess.Popen] = []

    def make(script: str, protocol: str = "concert-v2", **sim_kw: object):
        sim = make_sim(script, protocol, **sim_kw)
        config = write_config(short_dir, terminal={
            "device": str(sim.link_path), "protocol": protocol, "bridge_socket":
            str(short_dir / "b.sock"), "journal": str(short_dir / "journal.db"),
            "byte_timeout_s": 0.3, "card_wait_timeout_s": 10, "bytesize": 7, "parity": "E"})
        client = BridgeClient(short_dir / "b.sock", timeout_s=5, pay_timeout_s=15)

        def start() -> subprocess.Popen:
            proc = start_service(config)
            procs.append(proc)
            wait_ready(client, proc)
            return proc

        return sim, client, start

    yield make
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def kill_mid_card_wait(sim, client, proc, short_dir, reference: str) -> None:
    """Pay from another process, SIGKILL the bridge once the request is on the terminal."""
    payer = subprocess.Popen(  # a separate client process, so our own thread never blocks
        [sys.executable, "-c", "import sys; from kiosk.payment.client import BridgeClient; "
         f"BridgeClient({str(short_dir / 'b.sock')!r}).pay({reference!r}, 1500, 'EUR')"],
        stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 5
    while not sim.requests_seen:  # the request is on the terminal, the customer is "paying"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert client.result(reference).status == "in_progress"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    payer.wait(timeout=5)
    assert payer.returncode != 0  # the client saw the connection break


def wait_final(client: BridgeClient, reference: str, timeout: float = 30) -> BridgeOutcome:
    deadline = time.monotonic() + timeout
    while (answer := client.result(reference)).status == "in_progress":
        assert time.monotonic() < deadline, "still in progress"
        time.sleep(0.05)
    return answer


def test_sigkill_mid_card_wait_then_restart_records_the_late_answer(served, short_dir):
    """Restarted within the terminal's repeats, the bridge takes the answer it offers again
    and records it under the journaled reference; until then ``result`` says in_progress."""
    sim, client, start = served("approve:1.5")
    proc = start()
    reference = str(uuid.uuid4())
    kill_mid_card_wait(sim, client, proc, short_dir, reference)

    start()  # well inside the card wait: the answer is not offered yet
    assert client.result(reference).status == "in_progress"
    assert client.status().busy is True
    again = client.pay(reference, 1500, "EUR")  # a repeated pay waits for the same outcome
    assert again.status == "approved" and again.card_suffix == "4242"
    after = client.result(reference)
    assert after.status == "approved" and after.amount_cents == 1500
    assert len(sim.requests_seen) == 1  # never re-sent
    assert len(sim.record.approvals) == 1 and sim.answers_abandoned == 0
    assert client.pay(str(uuid.uuid4()), 700, "EUR").status == "approved"  # line is free


def test_sigkill_then_restart_after_the_terminal_gave_up_is_unknown(served, short_dir):
    """Back only after the terminal stopped offering its answer: nothing can be heard any
    more, so the payment is unknown (charged at the acquirer), and never sent again."""
    sim, client, start = served("approve:0.3", answer_repeats=1)
    proc = start()
    reference = str(uuid.uuid4())
    kill_mid_card_wait(sim, client, proc, short_dir, reference)
    deadline = time.monotonic() + 10
    while sim.answers_abandoned == 0:  # two offers of 0.3 s each, nobody there
        assert time.monotonic() < deadline
        time.sleep(0.02)

    start()
    after = wait_final(client, reference)
    assert after.status == "unknown" and "stopped" in after.reason
    assert after.amount_cents == 1500
    assert client.pay(reference, 1500, "EUR").status == "unknown"
    assert len(sim.requests_seen) == 1  # never re-sent
    assert len(sim.record.approvals) == 1  # the acquirer took it once: the operator reconciles


def test_sigkill_before_the_request_frame_is_a_link_error(served, short_dir):
    """Killed after the journal entry but before the request's first byte: the terminal never
    saw it, so no money was taken and the restart says so at once (not unknown)."""
    sim, client, start = served("approve")
    proc = start()
    deadline = time.monotonic() + 5
    while sim.probes == 0:  # the start-up probe is done: the next ENQ is the payment's
        assert time.monotonic() < deadline
        time.sleep(0.01)
    # The terminal stops the world at the payment's ENQ: kill the bridge right there.
    def kill() -> None:  # dead before the terminal's ACK can let the frame out
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

    sim.on_session = kill
    reference = str(uuid.uuid4())
    with pytest.raises(BridgeUnavailable):
        client.pay(reference, 900, "EUR")
    proc.wait()
    sim.on_session = None
    start()
    after = client.result(reference)
    assert after.status == "link_error" and "no money taken" in after.reason
    assert sim.requests_seen == [] and sim.record.approvals == []


def test_journal_holds_the_reference_before_the_first_byte(served, short_dir):
    sim, client, start = served("approve")
    start()
    reference = str(uuid.uuid4())
    seen_in_journal: list[bool] = []

    def check_journal() -> None:  # runs in the terminal as the ENQ arrives
        journal = Journal(short_dir / "journal.db")
        seen_in_journal.append(journal.get(reference) is not None)
        journal.close()

    deadline = time.monotonic() + 5
    while sim.probes == 0:  # let the start-up probe pass first
        assert time.monotonic() < deadline
        time.sleep(0.01)
    sim.on_session = check_journal
    assert client.pay(reference, 300, "EUR").status == "approved"
    assert seen_in_journal == [True]


def test_service_reopens_a_recreated_device_and_reports_health(served):
    sim, client, start = served("approve+recreate,approve", "concert-v3")
    start()
    first = client.pay(str(uuid.uuid4()), 800, "EUR")
    assert first.status == "unknown"
    assert client.status().last_error
    second = client.pay(str(uuid.uuid4()), 800, "EUR")
    assert second.status == "approved" and second.auth_code
    status = client.status()
    assert status.connected is True and status.last_error is None
    assert status.last_answer_at and status.protocol == "concert-v3"
    assert status.device == str(sim.link_path)


def test_sigterm_stops_cleanly_and_removes_the_socket(served, short_dir):
    _sim, _client, start = served("approve")
    proc = start()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=5) == 0
    assert not (short_dir / "b.sock").exists()


def test_serve_with_a_bad_config_exits_2_naming_the_key(short_dir):
    config = write_config(short_dir, terminal={"byte_timeout_s": -1})
    proc = subprocess.run([sys.executable, "-m", "firmware_bridge.cli", "serve", "--config",
                           str(config)], capture_output=True, text=True, timeout=20)
    assert proc.returncode == 2 and "terminal.byte_timeout_s" in proc.stderr


def test_serve_with_an_unwritable_journal_refuses_to_start(short_dir):
    (short_dir / "afile").write_text("not a directory")
    config = write_config(short_dir, terminal={"journal": str(short_dir / "afile" / "j.db")})
    proc = subprocess.run([sys.executable, "-m", "firmware_bridge.cli", "serve", "--config",
                           str(config)], capture_output=True, text=True, timeout=20)
    assert proc.returncode == 1 and "journal" in proc.stderr


def test_serve_over_tcp_caisse_ap_ip(short_dir):
    from firmware_bridge.simulator import TcpV3Simulator

    sim = TcpV3Simulator(byte_timeout=0.3).start()
    config = write_config(short_dir, terminal={
        "transport": "tcp", "protocol": "concert-v3", "host": "127.0.0.1", "port": sim.port,
        "bridge_socket": str(short_dir / "b.sock"), "journal": str(short_dir / "j.db"),
        "byte_timeout_s": 0.3, "card_wait_timeout_s": 10})
    client = BridgeClient(short_dir / "b.sock", timeout_s=5, pay_timeout_s=15)
    proc = start_service(config)
    try:
        wait_ready(client, proc)
        reference = str(uuid.uuid4())
        outcome = client.pay(reference, 4200, "EUR")
        assert outcome.status == "approved" and outcome.auth_code == "A00001"
        assert [a.reference for a in sim.record.approvals] == [reference]
        assert client.status().device == f"127.0.0.1:{sim.port}"
    finally:
        proc.kill()
        proc.wait()
        sim.stop()


def test_serve_refuses_a_corrupt_journal_and_keeps_it(short_dir):
    journal = short_dir / "j.db"
    journal.write_bytes(b"this is not a database" * 100)
    config = write_config(short_dir, terminal={"journal": str(journal)})
    proc = subprocess.run([sys.executable, "-m", "firmware_bridge.cli", "serve", "--config",
                           str(config)], capture_output=True, text=True, timeout=20)
    assert proc.returncode == 1 and "journal" in proc.stderr and str(journal) in proc.stderr
    assert journal.read_bytes().startswith(b"this is not a database")  # nothing destroyed



def test_the_service_never_unlinks_a_path_that_is_not_a_socket(make_sim, short_dir):
    from firmware_bridge.service import BridgeService, ServiceError
    from tests.helpers.bridge_fixtures import serial_terminal

    journal_path = short_dir / "j.db"
    journal = Journal(journal_path)
    before = journal_path.read_bytes()
    # bridge_socket misconfigured to name the journal itself: refuse, never delete it
    service = BridgeService(serial_terminal(make_sim()), journal, journal_path)
    with pytest.raises(ServiceError, match="not a socket"):
        service.start()
    assert journal_path.read_bytes() == before
    journal.close()
