"""The screen's side of the lock-sharing test, as a process of its own: opens the ledger,
prints ``ready``, waits for GO_FILE, then commits one pending donation for project ``screen``
(waiting for the write lock as the screen does) and prints ``done``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from kiosk.core.ledger import Ledger, Limits


def main() -> None:
    ledger = Ledger.open(sys.argv[1], Limits(15_000, 10**12, 0))
    go = Path(sys.argv[2])
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.001)
    ledger.create_pending("screen", 100, "EUR")
    print("done", flush=True)


if __name__ == "__main__":
    main()
