"""Link-layer time of one full Concert transaction on a pseudo-terminal, the simulator
answering at once (no card wait), against a baseline measured in the same run: the same
sequence of writes and reads on a pty with a responder that knows the lengths and checks
nothing. Also bytes on the wire against the protocol's minimum for the exchange.
Goal: p95 overhead under 5 ms beyond the card wait."""

from __future__ import annotations

import os
import select
import tempfile
import threading
import time
import tty
import uuid
from pathlib import Path

from firmware_bridge import concert_v2 as v2
from firmware_bridge import concert_v3 as v3
from firmware_bridge.outcome import Status
from firmware_bridge.protocol import frame
from firmware_bridge.simulator import PtySimulator
from firmware_bridge.terminal import SerialTerminal
from firmware_bridge.transport import SerialTransport
from tests.benchmarks._table import median, p95, print_table

TRANSACTIONS = 300


def _exchange(protocol: str, reference: str) -> list[tuple[str, int]]:
    """The minimal exchange as (who writes, how many bytes): r = register, t = terminal."""
    if protocol == "concert-v2":
        request = v2.encode_request(v2.Request(1250, "978", v2.short_reference(reference)))
        answer = v2.encode_answer(v2.Answer("01", "0", 1250, "1", "978",
                                            v2.short_reference(reference), "497010XXXXXX4242"))
    else:
        request = v3.encode_request(v3.Request(1250, "978", reference))
        answer = v3.encode_answer(v3.Answer(True, "01", 1250, "0", "978", auth_code="A00001",
                                            card="497010XXXXXX4242", read_mode="2",
                                            reference=reference))
    return [("r", 1), ("t", 1), ("r", len(frame(request))), ("t", 1), ("r", 1),
            ("t", 1), ("r", 1), ("t", len(frame(answer))), ("r", 1), ("t", 1)]


def _read_exactly(fd: int, n: int) -> None:
    while n:
        select.select([fd], [], [])
        n -= len(os.read(fd, n))


class _RawPty:
    """The same turns on a raw pty: no framing, no LRC, no state machine."""

    def __init__(self, exchange: list[tuple[str, int]], rounds: int):
        self.exchange = exchange
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self._responder = threading.Thread(target=self._terminal, args=(rounds,), daemon=True)
        self._responder.start()

    def _terminal(self, rounds: int) -> None:
        for _ in range(rounds):
            for who, n in self.exchange:
                if who == "r":
                    _read_exactly(self.master, n)
                else:
                    os.write(self.master, b"\x06" * n)

    def one(self) -> float:
        t0 = time.perf_counter()
        for who, n in self.exchange:
            if who == "r":
                os.write(self.slave, b"\x05" * n)
            else:
                _read_exactly(self.slave, n)
        return time.perf_counter() - t0

    def close(self) -> None:
        self._responder.join()
        os.close(self.master)
        os.close(self.slave)


def _run(protocol: str, workdir: Path) -> tuple[list[float], list[float], int, int]:
    """Link transactions and raw-pty baselines interleaved, so machine noise hits both alike."""
    sim = PtySimulator(workdir / protocol, protocol=protocol).start()
    device = str(sim.link_path)
    terminal = SerialTerminal(lambda: SerialTransport(device), protocol=protocol,
                              device=device, eot_timeout=0.5)
    terminal.probe()
    raw = _RawPty(_exchange(protocol, str(uuid.uuid4())), TRANSACTIONS)
    link_times, raw_times = [], []
    wire = minimum = 0
    for _ in range(TRANSACTIONS):
        reference = str(uuid.uuid4())
        before = terminal.link.stats.written + terminal.link.stats.read
        t0 = time.perf_counter()
        outcome = terminal.pay(reference=reference, amount_cents=1250, currency="EUR")
        link_times.append(time.perf_counter() - t0)
        assert outcome.status == Status.APPROVED, outcome
        wire += terminal.link.stats.written + terminal.link.stats.read - before
        minimum += sum(n for _, n in _exchange(protocol, reference))
        raw_times.append(raw.one())
    raw.close()
    terminal.close()
    sim.stop()
    return link_times, raw_times, wire, minimum


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-bridge-"))
    rows = []
    ms = 1000
    for protocol in ("concert-v2", "concert-v3"):
        link, raw, wire, minimum = _run(protocol, workdir)
        rows.append([protocol, median(link) * ms, p95(link) * ms, median(raw) * ms,
                     p95(raw) * ms, (p95(link) - p95(raw)) * ms, median(link) / median(raw),
                     wire // TRANSACTIONS, minimum // TRANSACTIONS, wire / minimum])
    print(f"{TRANSACTIONS} approved transactions per protocol on a pty, simulator answering at "
          "once, interleaved with raw-pty baselines; times in ms")
    print_table(["protocol", "median", "p95", "raw pty median", "raw pty p95",
                 "p95 overhead", "ratio (median)", "bytes/txn", "minimum", "bytes ratio"], rows)
    print("goal: p95 overhead < 5 ms beyond the card wait")


if __name__ == "__main__":
    main()
