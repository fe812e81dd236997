"""What an operator waits for over SSH: `kioskctl status --json` and `kioskctl self-test`
on a ledger holding 20,000 donations (200 of them unknown, half reconciled), against the
baseline `kioskctl version` (interpreter start and imports only), measured in the same run.
No bridge and no systemd here: those checks fail fast, as on a kiosk whose bridge is down."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kiosk.core.ledger import Ledger, Limits
from kiosk.ops import reconcile
from tests.appliance.kiosk_config import write_config
from tests.benchmarks._table import median, p95, print_table

DONATIONS, UNKNOWN, RUNS = 20_000, 200, 15


def _fill(data: Path) -> None:
    ledger = Ledger.open(data / "kiosk.db", Limits(15_000, 10**12, 0))
    for n in range(DONATIONS):
        d = ledger.create_pending("proj-1", 500 + n % 7, "EUR")
        state = "unknown" if n % (DONATIONS // UNKNOWN) == 0 else "approved"
        ledger.finish(d.id, state, auth_code="A1")
        if state == "unknown" and n % 2 == 0:
            reconcile.decide(ledger, d.id, "charged", f"ACQ-{n}", "bench")
    ledger.close()


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-status-", dir=Path.cwd()))
    try:
        config = write_config(work)
        _fill(work / "data")
        kioskctl = str(Path(sys.executable).parent / "kioskctl")
        commands = {"kioskctl version (baseline)": ["version"],
                    "kioskctl status --json": ["status", "--json"],
                    "kioskctl self-test": ["self-test"]}
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(RUNS):  # interleaved, so machine noise hits all alike
            for name, argv in commands.items():
                start = time.perf_counter()
                subprocess.run([kioskctl, "--config", str(config), *argv],
                               capture_output=True, check=False)
                times[name].append((time.perf_counter() - start) * 1000)
        base = median(times["kioskctl version (baseline)"])
        print(f"{DONATIONS} donations, {UNKNOWN} unknown (half reconciled), {RUNS} runs each")
        print_table(["command", "median ms", "p95 ms", "ratio vs version"],
                    [[name, median(v), p95(v), median(v) / base] for name, v in times.items()])
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
