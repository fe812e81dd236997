"""The screen's side of the contention benchmark, as a process of its own:
``python -m tests.benchmarks._ledger_writer LEDGER STOP_FILE MAX_DONATIONS PAUSE_S``.

``Ledger.create_pending`` + ``finish`` in a loop, as the screen commits them, until STOP_FILE
exists or MAX_DONATIONS were made; prints one JSON line: each commit's duration in seconds."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from kiosk.core.ledger import Ledger
from tests.sync.helpers import LIMITS


def timed_gift(ledger: Ledger, project_id: str, pending: list[float],
               final: list[float], between: Callable[[], None] | None = None) -> None:
    """One gift as the screen commits it: the pending row's and the outcome's commit times
    (seconds) appended to ``pending`` and ``final``. ``between`` runs untimed between the two
    (the card's wait; ledger_commits times a raw commit there)."""
    t0 = time.perf_counter()
    donation = ledger.create_pending(project_id, 500, "EUR")
    t1 = time.perf_counter()
    pending.append(t1 - t0)
    if between is not None:
        between()
        t1 = time.perf_counter()
    ledger.finish(donation.id, "approved", auth_code="A1", card_suffix="4242")
    final.append(time.perf_counter() - t1)


def main(argv: list[str]) -> None:
    ledger_path, stop_file = Path(argv[0]), Path(argv[1])
    limit, pause_s = int(argv[2]), float(argv[3])
    ledger = Ledger.open(ledger_path, LIMITS)
    pending: list[float] = []
    final: list[float] = []
    while len(pending) < limit and not stop_file.exists():
        timed_gift(ledger, "proj-1", pending, final)
        time.sleep(pause_s)  # a donor's pace is far slower; this samples the sync's work often
    ledger.close()
    print(json.dumps({"pending_s": pending, "finish_s": final}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
