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


def _baseline(exchange: list[tuple[str, int]], rounds: int) -> list[float]:
    """The same turns on a raw pty: no framing, no LRC, no state machine."""
    master, slave = os.openpty()
    tty.setraw(slave)

    def terminal() -> None:
        for _ in range(rounds):
            for who, n in exchange:
                if who == "r":
                    _read_exactly(master, n)
                else:
                    os.write(master, b"\x06" * n)

    responder = threading.Thread(target=terminal, daemon=True)
    responder.start()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for who, n in exchange:
            if who == "r":
                os.write(slave, b"\x05" * n)
            else:
                _read_exactly(slave, n)
        times.append(time.perf_counter() - t0)
    responder.join()
    os.close(master)
    os.close(slave)
    return times


def _link(protocol: str, workdir: Path) -> tuple[list[float], int, int]:
    sim = PtySimulator(workdir / protocol, protocol=protocol).start()
    device = str(sim.link_path)
    terminal = SerialTerminal(lambda: SerialTransport(device), protocol=protocol,
                              device=device, eot_timeout=0.5)
    terminal.probe()
    times = []
    wire = minimum = 0
    for _ in range(TRANSACTIONS):
        reference = str(uuid.uuid4())
        before = terminal.link.stats.written + terminal.link.stats.read
        t0 = time.perf_counter()
        outcome = terminal.pay(1250, "EUR", reference)
        times.append(time.perf_counter() - t0)
        assert outcome.status == Status.APPROVED, outcome
        wire += terminal.link.stats.written + terminal.link.stats.read - before
        minimum += sum(n for _, n in _exchange(protocol, reference))
    terminal.close()
    sim.stop()
    return times, wire, minimum


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-bridge-"))
    rows = []
    for protocol in ("concert-v2", "concert-v3"):
        link_times, wire, minimum = _link(protocol, workdir)
        base = _baseline(_exchange(protocol, str(uuid.uuid4())), TRANSACTIONS)
        ms = 1000
        rows.append([protocol, median(link_times) * ms, p95(link_times) * ms,
                     median(base) * ms, p95(base) * ms,
                     (p95(link_times) - median(base)) * ms,
                     median(link_times) / median(base), wire // TRANSACTIONS,
                     minimum // TRANSACTIONS, wire / minimum])
    print(f"{TRANSACTIONS} approved transactions per protocol on a pty, simulator answering at "
          "once; times in ms")
    print_table(["protocol", "median", "p95", "raw pty median", "raw pty p95",
                 "p95 overhead", "ratio (median)", "bytes/txn", "minimum", "bytes ratio"], rows)
    print("goal: p95 overhead < 5 ms beyond the card wait")


if __name__ == "__main__":
    main()
