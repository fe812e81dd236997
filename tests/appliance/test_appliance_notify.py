"""READY and WATCHDOG from the real bridge service and the real screen, on a real notify
socket; and the operator commands that talk to a running bridge.

Stand-in: this test holds the notify socket that systemd (PID 1) would hold; it cannot
restart anything, so "a frozen screen gets restarted" is checked as "a frozen screen stops
its pings" (what makes systemd restart it with WatchdogSec).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.appliance.kiosk_config import write_config
from tests.appliance.notify_socket import NotifySocket

BIN = Path(sys.executable).parent


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen]]:
    started: list[subprocess.Popen] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def start(processes: list, argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    out = open(log, "wb")
    proc = subprocess.Popen(argv, env={**os.environ, **env}, stdout=out,
                            stderr=subprocess.STDOUT)
    out.close()
    processes.append(proc)
    return proc


def wait_path(path: Path, proc: subprocess.Popen, log: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{path} did not appear:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)


def kioskctl(config: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([BIN / "kioskctl", "--config", str(config), *argv],
                          capture_output=True, text=True, timeout=60)


def test_bridge_sends_ready_then_watchdog_and_kioskctl_sees_the_terminal(
        short_dir: Path, processes: list) -> None:
    sim = start(processes, [BIN / "firmware-bridge", "simulate", "--link",
                            str(short_dir / "term"), "--byte-timeout", "0.5"], {},
                short_dir / "sim.log")
    wait_path(short_dir / "term", sim, short_dir / "sim.log")
    config = write_config(short_dir, terminal={
        "device": str(short_dir / "term"), "bridge_socket": str(short_dir / "bridge.sock"),
        "journal": str(short_dir / "journal.db"), "byte_timeout_s": 0.5, "probe_interval_s": 1,
        "baudrate": 9600, "bytesize": 7, "parity": "E"})
    notify = NotifySocket(short_dir / "notify")
    try:
        bridge = start(processes, [BIN / "firmware-bridge", "serve", "--config", str(config)],
                       notify.env(watchdog_usec=400_000), short_dir / "bridge.log")
        ready = notify.wait_for("READY=1", timeout=30)[0]
        pings = notify.wait_for("WATCHDOG=1", count=3, timeout=10)
        assert pings[0] >= ready
        # Half of WATCHDOG_USEC (0.4 s) between pings, give or take a loaded machine.
        assert pings[2] - pings[0] < 2.0

        probe = kioskctl(config, "terminal", "probe", "--json")
        assert probe.returncode == 0, probe.stdout + probe.stderr
        assert json.loads(probe.stdout)["connected"] is True
        selftest = kioskctl(config, "self-test")
        assert selftest.returncode == 0, selftest.stdout
        assert "OK    terminal: concert-v2" in selftest.stdout

        # The terminal switched off: a failure for the operator's self-test, a warning for
        # the update's health check (the bridge itself still answers).
        sim.send_signal(signal.SIGKILL)
        sim.wait(timeout=10)
        deadline = time.monotonic() + 15
        while json.loads(kioskctl(config, "terminal", "probe", "--json").stdout)["connected"]:
            assert time.monotonic() < deadline, "the bridge never noticed the terminal left"
            time.sleep(0.3)
        assert kioskctl(config, "self-test").returncode == 1
        lenient = kioskctl(config, "self-test", "--terminal-may-be-off")
        assert lenient.returncode == 0, lenient.stdout
        assert "WARN  terminal: the bridge runs but the terminal does not answer" in lenient.stdout

        bridge.send_signal(signal.SIGKILL)
        bridge.wait(timeout=10)
        down = kioskctl(config, "terminal", "probe")
        assert down.returncode == 1
        assert "not accepting connections" in down.stdout or "not running" in down.stdout
    finally:
        notify.close()


def test_screen_sends_ready_then_watchdog_and_a_frozen_screen_stops(
        short_dir: Path, processes: list) -> None:
    terminal = {"device": str(short_dir / "term"), "bridge_socket": str(short_dir / "bridge.sock"),
                "journal": str(short_dir / "journal.db"), "byte_timeout_s": 0.5,
                "probe_interval_s": 1}
    config = write_config(short_dir, screen={"fullscreen": False}, terminal=terminal)
    notify = NotifySocket(short_dir / "notify")
    env = {**notify.env(watchdog_usec=600_000), "SDL_AUDIODRIVER": "dummy",
           "KIVY_NO_ARGS": "1"}
    try:
        screen = start(processes, [BIN / "kiosk", "--config", str(config)], env,
                       short_dir / "screen.log")
        try:
            notify.wait_for("READY=1", timeout=60)
            notify.wait_for("WATCHDOG=1", count=3, timeout=15)
            # READY once the first attract frame is drawn whole; the log says how long it took.
            assert "STATUS=kiosk screen shown" in [m for _, m in notify.messages
                                                   if "READY=1" in m][0].splitlines()
            assert re.search(r"screen shown \d+\.\d\d s after the process started \("
                             r"giving unavailable: terminal: bridge unreachable",
                             (short_dir / "screen.log").read_text())
            # Shown because the frame was whole, not because the 3 s limit ran out.
            assert "counts as shown without it" not in (short_dir / "screen.log").read_text()
            # The first slide's photo, scaled, kept for the next start (pictures.FirstPhotoCache).
            assert (short_dir / "data" / "screen-cache" / "first-photo.rgb").stat().st_size > 0
        except AssertionError:
            raise AssertionError((short_dir / "screen.log").read_text()[-3000:]) from None
        # A frozen UI thread stops the pings: systemd would restart the screen.
        screen.send_signal(signal.SIGSTOP)
        notify.drain(0.5)  # a ping already in flight
        assert "WATCHDOG=1" not in notify.drain(1.5)
        screen.send_signal(signal.SIGCONT)
        notify.wait_for("WATCHDOG=1", count=len([m for _, m in notify.messages
                                                 if m == "WATCHDOG=1"]) + 1, timeout=10)

        # The terminal and its bridge come up: the journal says giving is available again.
        sim = start(processes, [BIN / "firmware-bridge", "simulate", "--link",
                                str(short_dir / "term"), "--byte-timeout", "0.5"], {},
                    short_dir / "sim.log")
        wait_path(short_dir / "term", sim, short_dir / "sim.log")
        start(processes, [BIN / "firmware-bridge", "serve", "--config", str(config)], {},
              short_dir / "bridge.log")
        deadline = time.monotonic() + 40
        while "giving is available again" not in (short_dir / "screen.log").read_text():
            assert time.monotonic() < deadline, (short_dir / "screen.log").read_text()[-3000:]
            time.sleep(0.2)
    finally:
        notify.close()
