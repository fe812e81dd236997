"""Health: the idle terminal is probed periodically, and systemd is notified (READY, WATCHDOG)
over a real $NOTIFY_SOCKET datagram socket (systemd itself cannot run as PID 1 here)."""

from __future__ import annotations

import os
import socket
import time

from firmware_bridge import systemd_notify
from firmware_bridge.journal import Journal
from firmware_bridge.service import BridgeService
from tests.bridge.conftest import serial_terminal


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
        sim.stop()  # the terminal is unplugged
        os.unlink(sim.link_path)
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
