"""Health: the idle terminal is probed periodically, and systemd is notified (READY, WATCHDOG)
over a real $NOTIFY_SOCKET datagram socket (systemd itself cannot run as PID 1 here)."""

from __future__ import annotations

import socket
import time

from firmware_bridge import systemd_notify
from firmware_bridge.journal import Journal
from firmware_bridge.service import BridgeService
from tests.helpers.bridge_fixtures import serial_terminal


def wait_for(predicate, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def test_idle_terminal_is_probed_and_a_vanished_device_is_reported(make_sim, short_dir):
    sim = make_sim()
    service = BridgeService(serial_terminal(sim, reopen_timeout=0.0), Journal(short_dir / "j.db"),
                            short_dir / "s.sock", probe_interval_s=0.05).start()
    try:
        wait_for(lambda: sim.probes >= 3)
        assert service.connected and service.last_error is None
        sim.stop()  # the terminal is unplugged: its device link goes with it
        wait_for(lambda: not service.connected)
        assert "probe failed" in service.last_error
    finally:
        service.stop()


def test_ready_and_watchdog_reach_the_notify_socket(make_sim, short_dir, monkeypatch):
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(short_dir / "notify"))
    listener.settimeout(3)
    monkeypatch.setenv("NOTIFY_SOCKET", str(short_dir / "notify"))
    monkeypatch.setenv("WATCHDOG_USEC", "100000")  # 0.1 s: petted every 0.05 s
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    service = BridgeService(serial_terminal(make_sim()), Journal(short_dir / "j.db"),
                            short_dir / "s.sock", probe_interval_s=60).start()
    try:
        messages = {listener.recv(100).decode() for _ in range(3)}
        assert any(m.startswith("READY=1") for m in messages)
        assert "WATCHDOG=1" in messages
    finally:
        service.stop()
        listener.close()


def test_notify_is_a_no_op_without_systemd():
    assert systemd_notify.notify("READY=1", env={}) is False
    assert systemd_notify.watchdog_interval_s({}) is None
    assert systemd_notify.watchdog_interval_s({"WATCHDOG_USEC": "2000000"}) == 1.0
    assert systemd_notify.watchdog_interval_s({"WATCHDOG_USEC": "2000000",
                                               "WATCHDOG_PID": "1"}) is None


def test_watchdog_is_not_petted_while_a_payment_overruns_its_deadline(make_sim, short_dir,
                                                                       monkeypatch):
    import threading
    import uuid

    from kiosk.payment.client import BridgeClient

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(short_dir / "notify"))
    monkeypatch.setenv("NOTIFY_SOCKET", str(short_dir / "notify"))
    monkeypatch.setenv("WATCHDOG_USEC", "100000")  # petted every 0.05 s
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    sim = make_sim("approve:2")
    terminal = serial_terminal(sim, card_wait_timeout=5)
    # Every read now has a deadline, so a real hang cannot be produced on a pty: the one thing
    # changed is the deadline itself, shortened so this 2 s card wait overruns it.
    terminal.payment_deadline_s = lambda: 0.1
    service = BridgeService(terminal, Journal(short_dir / "j.db"), short_dir / "s.sock",
                            probe_interval_s=60, watchdog_margin_s=0.1).start()

    def pings(seconds: float) -> int:
        count, end = 0, time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            listener.settimeout(left)
            try:
                count += listener.recv(100) == b"WATCHDOG=1"
            except TimeoutError:
                break
        return count

    try:
        assert pings(0.5) > 0
        reference = str(uuid.uuid4())
        client = BridgeClient(short_dir / "s.sock", timeout_s=5, pay_timeout_s=10)
        payer = threading.Thread(target=client.pay, args=(reference, 700, "EUR"))
        payer.start()
        wait_for(lambda: service.stuck_payment() == reference)
        pings(0.2)  # pings sent before the background thread saw the overrun
        assert pings(0.8) == 0  # stuck: systemd would restart the bridge
        payer.join()
        assert pings(0.5) > 0  # the payment ended: petted again
    finally:
        service.stop()
        listener.close()


def test_a_failed_start_up_probe_is_retried_soon_and_logged(make_sim, short_dir, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="firmware_bridge")
    # The terminal is still busy with the exchange a killed bridge left: two ENQs unanswered.
    sim = make_sim("approve+silence,approve+silence")
    service = BridgeService(serial_terminal(sim), Journal(short_dir / "j.db"),
                            short_dir / "s.sock", probe_interval_s=300,
                            probe_retry_s=0.2).start()
    try:
        wait_for(lambda: service.connected, timeout=10)  # not 300 s later
        # The simulator counts the probe when it reads the bridge's closing EOT, which may come
        # a moment after the bridge already counts itself connected.
        wait_for(lambda: sim.probes >= 1, timeout=5)
        assert service.last_error is None
        failures = [r for r in caplog.records if "probe failed" in r.getMessage()]
        assert len(failures) == 2 and failures[0].levelname == "WARNING"
        assert any("answers again" in r.getMessage() for r in caplog.records)
    finally:
        service.stop()
