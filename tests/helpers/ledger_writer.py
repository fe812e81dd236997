"""A ledger writer for crash tests: runs donations through the ledger until killed.

After each commit returns it prints one line (``P id`` for a pending commit, ``F id state``
for a final one) and flushes, so the parent knows exactly which commits had returned when it
sent SIGKILL. At start it resolves leftover pending donations as ``unknown``, as the kiosk's
recovery does when the bridge has no answer.
"""

from __future__ import annotations

import random
import sys

from kiosk.core.ledger import Ledger, Limits

FINALS = ["approved", "declined", "cancelled", "failed", "unknown"]


def main() -> None:
    path, seed = sys.argv[1], int(sys.argv[2])
    rng = random.Random(seed)
    ledger = Ledger.open(path, Limits(15_000, 10**12, 0))
    out = sys.stdout
    for donation in ledger.pending():
        ledger.finish(donation.id, "unknown", reason="crash recovery")
        out.write(f"F {donation.id} unknown\n")
        out.flush()
    out.write("ready\n")
    out.flush()
    while True:
        donation = ledger.create_pending(f"proj-{rng.randrange(8)}", rng.randrange(1, 15_000),
                                         "EUR")
        out.write(f"P {donation.id}\n")
        out.flush()
        state = rng.choice(FINALS)
        ledger.finish(donation.id, state, auth_code="A1" if state == "approved" else None)
        out.write(f"F {donation.id} {state}\n")
        out.flush()


if __name__ == "__main__":
    main()
