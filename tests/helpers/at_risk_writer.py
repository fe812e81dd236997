"""A ledger writer for the at-risk counter's crash test: every operation that moves a donation
into or out of the offline cap (create, finish, mark synced, quarantine, prune), at random,
until killed. Prints ``ready`` once open, so the parent kills it mid-work, not mid-start."""

from __future__ import annotations

import datetime as dt
import random
import sys

from kiosk.core.ledger import Ledger, Limits

FINALS = ["approved", "declined", "cancelled", "failed", "unknown"]


def main() -> None:
    path, seed = sys.argv[1], int(sys.argv[2])
    rng = random.Random(seed)
    ledger = Ledger.open(path, Limits(15_000, 10**12, 0))
    print("ready", flush=True)
    while True:
        donation = ledger.create_pending("proj", rng.randrange(1, 15_000), "EUR")
        ledger.finish(donation.id, rng.choice(FINALS))
        backlog = ledger.outbox(limit=3)
        if backlog and rng.random() < 0.5:
            ledger.mark_synced([d.id for d in backlog[:2]])
        if backlog and rng.random() < 0.1:
            ledger.quarantine(backlog[-1].id, "refused")
        if rng.random() < 0.05:
            ledger.prune(0, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))


if __name__ == "__main__":
    main()
