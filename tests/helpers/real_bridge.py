"""The real terminal simulator (on a pseudo-terminal) and the real bridge service, in-process,
with short timeouts, for the screen's tests and benchmarks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from firmware_bridge.journal import Journal
from firmware_bridge.script import parse_script
from firmware_bridge.service import BridgeService
from firmware_bridge.simulator import AcquirerRecord, PtySimulator, Script
from firmware_bridge.terminal import SerialTerminal
from firmware_bridge.transport import SerialTransport

# Generous per-byte timeout: the bridge runs inside the Kivy process, on a loaded CI machine.
BYTE_TIMEOUT = 1.0


@dataclass
class RealBridge:
    sim: PtySimulator
    service: BridgeService
    socket_path: Path
    journal_path: Path
    record_path: Path

    def stop(self) -> None:
        self.service.stop(drain_timeout_s=5)
        self.sim.stop()


def start_bridge(directory: Path, script: str = "", *, card_wait_s: float = 5.0,
                 protocol: str = "concert-v2", unplugged: bool = False) -> RealBridge:
    """``directory`` must be short: a Unix socket path stays under 108 bytes. ``unplugged``:
    the terminal's device is gone before the bridge starts."""
    directory.mkdir(parents=True, exist_ok=True)
    record = directory / "acquirer.jsonl"
    sim = PtySimulator(directory / "term", protocol=protocol, script=Script(parse_script(script)),
                       record=AcquirerRecord(record), byte_timeout=BYTE_TIMEOUT).start()
    link = str(sim.link_path)
    if unplugged:
        sim.stop()
    terminal = SerialTerminal(lambda: SerialTransport(link), protocol=protocol, device=link,
                              byte_timeout=BYTE_TIMEOUT, card_wait_timeout=card_wait_s,
                              eot_timeout=0.05, reopen_timeout=1.0)
    service = BridgeService(terminal, Journal(directory / "journal.db"), directory / "b.sock",
                            max_amount_cents=15000, probe_interval_s=60).start()
    return RealBridge(sim, service, directory / "b.sock", directory / "journal.db", record)
