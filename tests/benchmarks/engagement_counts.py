"""What the anonymous engagement counts cost: one ``Ledger.count`` (an UPSERT in its own
durable transaction) against a raw sqlite3 single-row commit on the same disk, and the
screen's pending commit alone against the same commit while another process counts flat out
(far more than a screen ever does: it counts on its I/O thread, behind its own payments, so
in practice only kiosk-sync's marking shares the lock). Rounds interleave the cases so noise
from other work on the machine hits them alike."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kiosk.core.funnel import Counter
from kiosk.core.ledger import Ledger, Limits
from tests.benchmarks._table import median, p95, print_table
from tests.benchmarks.ledger_commits import _raw

ROUNDS = 5
PER_ROUND = 60
LIMITS = Limits(max_donation_cents=15_000, offline_cap_cents=10**12, min_free_disk_bytes=0)
COUNT_FOREVER = """
import sys
from kiosk.core.funnel import Counter
from kiosk.core.ledger import Ledger, Limits
ledger = Ledger.open(sys.argv[1], Limits(15_000, 10**12, 0), check=False)
print("ready", flush=True)
n = 0
while True:
    ledger.count(list(Counter)[n % 10], f"proj-{n % 6}")
    n += 1
"""


def _timed(action: object, into: list[float]) -> None:
    t0 = time.perf_counter()
    action()  # type: ignore[operator]
    into.append(time.perf_counter() - t0)


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-counts-", dir=Path.cwd()))
    raw = _raw(workdir / "raw.db")
    ledger = Ledger.open(workdir / "kiosk.db", LIMITS)
    raw_lat: list[float] = []
    count_lat: list[float] = []
    alone: list[float] = []
    contended: list[float] = []
    n = 0
    for _ in range(ROUNDS):
        for _ in range(PER_ROUND):
            _timed(lambda key=f"id-{n}": raw.execute(
                "INSERT INTO t VALUES (?, 'p', 500, 'pending')", (key,)), raw_lat)
            n += 1
            _timed(lambda: ledger.count(Counter.SLIDE_SHOWN, "proj-1"), count_lat)
            _timed(lambda: ledger.create_pending("proj-1", 500, "EUR"), alone)
        counter = subprocess.Popen(
            [sys.executable, "-c", COUNT_FOREVER, str(workdir / "kiosk.db")],
            stdout=subprocess.PIPE, text=True)
        try:
            assert counter.stdout is not None and counter.stdout.readline() == "ready\n"
            for _ in range(PER_ROUND):
                _timed(lambda: ledger.create_pending("proj-1", 500, "EUR"), contended)
        finally:
            counter.kill()
            counter.wait()
    base = median(raw_lat)
    rows = [(name, median(lat) * 1e3, p95(lat) * 1e3, median(lat) / base)
            for name, lat in (("raw sqlite3 single-row commit", raw_lat),
                              ("Ledger.count (UPSERT + commit)", count_lat),
                              ("create_pending, nothing else writing", alone),
                              ("create_pending, another process counting flat out",
                               contended))]
    print(f"{ROUNDS} interleaved rounds of {PER_ROUND}, WAL + synchronous=FULL, data on the "
          f"repository's disk")
    print_table(["operation", "median ms", "p95 ms", "ratio vs raw"], rows)
    ledger.close()
    raw.close()
    for f in workdir.iterdir():
        f.unlink()
    workdir.rmdir()
