"""Tap → first byte at the terminal: from the touch on an amount button in the real kiosk app
to the ENQ seen by the terminal simulator (ledger commit and bridge journal included), against
a bare BridgeClient.pay → ENQ in the same run. The bridge and the simulator run in their own
process, as on a device. Goal: p95 ≤ 16.7 ms (one frame) on a desktop machine.

Without a GPU, Mesa's llvmpipe renders the new screen on every core right when the payment
starts, competing with the ledger and bridge; the second kiosk row renders on the UI thread
only (LP_NUM_THREADS=0), closer to a device where the GPU draws."""

from __future__ import annotations

from tests.benchmarks._screen_run import child
from tests.benchmarks._table import median, p95, print_table

DONATIONS = 40


def main() -> None:
    result = child("tap", DONATIONS)
    one_thread = child("tap", DONATIONS, extra_env={"LP_NUM_THREADS": "0"})
    bare = [s * 1000 for s in result["baseline_s"]]
    rows = [["bare BridgeClient.pay -> ENQ", len(bare), median(bare), p95(bare), 1.0, ""]]
    for label, run in (("kiosk tap -> ENQ", result),
                       ("kiosk tap -> ENQ, GL on UI thread", one_thread)):
        screen = [s * 1000 for s in run["screen_s"]]
        rows.append([label, len(screen), median(screen), p95(screen), p95(screen) / p95(bare),
                     "p95 <= 16.7 ms"])
    print_table(["path", "n", "median ms", "p95 ms", "p95 ratio", "goal"], rows)


if __name__ == "__main__":
    main()
