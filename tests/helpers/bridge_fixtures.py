"""Fixtures for the bridge (used by tests/bridge, tests/payment and tests/screen): the terminal
simulator on a real pty, the service on a real socket."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from firmware_bridge.journal import Journal
from firmware_bridge.script import parse_script
from firmware_bridge.service import BridgeService
from firmware_bridge.simulator import PtySimulator, Script
from firmware_bridge.terminal import SerialTerminal
from firmware_bridge.transport import SerialTransport
from kiosk.payment.client import BridgeClient

# Short timeouts keep the suite fast; the production defaults are 3 s per byte, 180 s card wait.
BYTE_TIMEOUT = 0.3
CARD_WAIT = 1.5


@pytest.fixture
def make_sim(short_dir: Path) -> Iterator[Callable[..., PtySimulator]]:
    sims: list[PtySimulator] = []

    def make(script: str = "", protocol: str = "concert-v2", **kw: object) -> PtySimulator:
        sim = PtySimulator(short_dir / f"term{len(sims)}", protocol=protocol,
                           script=Script(parse_script(script)), byte_timeout=BYTE_TIMEOUT,
                           **kw).start()
        sims.append(sim)
        return sim

    yield make
    for sim in sims:
        sim.stop()


def serial_terminal(sim: PtySimulator, **kw: object) -> SerialTerminal:
    options = {"byte_timeout": BYTE_TIMEOUT, "card_wait_timeout": CARD_WAIT,
               "eot_timeout": 0.05, "reopen_timeout": 1.0} | kw
    path = str(sim.link_path)
    return SerialTerminal(lambda: SerialTransport(path), protocol=sim.protocol, device=path,
                          **options)


class Bridge:
    def __init__(self, sim: PtySimulator, service: BridgeService, client: BridgeClient):
        self.sim, self.service, self.client = sim, service, client


@pytest.fixture
def make_bridge(make_sim: Callable[..., PtySimulator],
                short_dir: Path) -> Iterator[Callable[..., Bridge]]:
    services: list[BridgeService] = []

    def make(script: str = "", protocol: str = "concert-v2", **terminal_kw: object) -> Bridge:
        sim = make_sim(script, protocol)
        service = BridgeService(serial_terminal(sim, **terminal_kw),
                                Journal(short_dir / "journal.db"), short_dir / "bridge.sock",
                                max_amount_cents=15000, probe_interval_s=60).start()
        services.append(service)
        return Bridge(sim, service, BridgeClient(short_dir / "bridge.sock", timeout_s=5,
                                                 pay_timeout_s=5))

    yield make
    for service in services:
        service.stop(drain_timeout_s=5)
