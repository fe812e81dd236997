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
from kiosk.payment.client import BridgeClient, BridgeUnavailable
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

    def make(script: str, protocol: str = "concert-v2"):
        sim = make_sim(script, protocol)
        config = write_config(short_dir, terminal={
            "device": str(sim.link_path), "protocol": protocol, "bridge_socket":
            str(short_dir / "b.sock"), "journal": str(short_dir / "journal.db"),
            "byte_timeout_s": 0.3, "card_wait_timeout_s": 10, "bytesize": 8, "parity": "N"})
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


def test_sigkill_mid_transaction_answers_unknown_and_never_resends(served, short_dir):
    sim, client, start = served("approve:1.5")
    proc = start()
    reference = str(uuid.uuid4())
    payer = subprocess.Popen(  # a separate client process, so our own thread never blocks
        [sys.executable, "-c", "import sys; from kiosk.payment.client import BridgeClient; "
         f"BridgeClient({str(short_dir / 'b.sock')!r}).pay({reference!r}, 1500, 'EUR')"],
        stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 5
    while not sim.requests_seen:  # the request is on the terminal, the customer is "paying"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert client.result(reference)["status"] == "in_progress"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    payer.wait(timeout=5)
    assert payer.returncode != 0  # the client saw the connection break

    start()
    after = client.result(reference)
    assert after["status"] == "unknown" and "stopped" in after["reason"]
    assert after["amount_cents"] == 1500
    again = client.pay(reference, 1500, "EUR")
    assert again["status"] == "unknown"
    time.sleep(1.5)  # past the card wait: the terminal would have answered a re-send by now
    assert len(sim.requests_seen) == 1  # never re-sent
    # The acquirer took the money once; the kiosk records "unknown" for the operator to
    # reconcile, never a second debit.
    assert len(sim.record.approvals) == 1


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
    assert client.pay(reference, 300, "EUR")["status"] == "approved"
    assert seen_in_journal == [True]


def test_service_reopens_a_recreated_device_and_reports_health(served):
    sim, client, start = served("approve+recreate,approve", "concert-v3")
    start()
    first = client.pay(str(uuid.uuid4()), 800, "EUR")
    assert first["status"] == "unknown"
    assert client.status()["last_error"]
    second = client.pay(str(uuid.uuid4()), 800, "EUR")
    assert second["status"] == "approved" and second["auth_code"]
    status = client.status()
    assert status["connected"] is True and status["last_error"] is None
    assert status["last_answer_at"] and status["protocol"] == "concert-v3"
    assert status["device"] == str(sim.link_path)


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
        assert outcome["status"] == "approved" and outcome["auth_code"] == "A00001"
        assert [a.reference for a in sim.record.approvals] == [reference]
        assert client.status()["device"] == f"127.0.0.1:{sim.port}"
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
