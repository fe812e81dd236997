"""What the shop owner waits for in the settings, against a baseline in the same run:

- saving the featured choice (featured rows + version bump + audit row in one transaction)
  against one plain ``set_setting`` commit: the owner's « Enregistrer »;
- today at a glance on a ledger of 20 000 donations against ``Ledger.summary()`` (which
  ``kioskctl status`` uses) on the same ledger;
- one PIN check through the lockout at the default scrypt cost against a ``set_setting``
  commit: how long the pad shows « Vérification… ».
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from kiosk.core import db as dbmod
from kiosk.core import pin as pinmod
from kiosk.core.catalog import Catalog, Project
from kiosk.core.ledger import Ledger, Limits
from kiosk.owner import featured
from kiosk.owner.access import OwnerAccess
from kiosk.owner.pin_lock import PinLock
from kiosk.owner.today import glance
from tests.benchmarks._table import median, p95, print_table

TODAY = dt.date(2026, 11, 21)


def _timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _fill(ledger: Ledger, n: int) -> None:
    with dbmod.immediate(ledger.db) as conn:
        conn.executemany(
            "INSERT INTO donations (id, seq, boot_id, project_id, amount_cents, currency, state,"
            " created_at, created_mono_ns, finished_at, sync_state) VALUES"
            " (?, ?, 'b', 'p1', 500, 'EUR', 'approved', ?, 0, ?, ?)",
            [(str(uuid.uuid4()), i + 1, f"2026-11-{1 + i % 21:02d}T10:00:00.000Z",
              f"2026-11-{1 + i % 21:02d}T10:00:01.000Z", "synced" if i % 5 else "unsynced")
             for i in range(n)])


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-owner-", dir=Path.cwd()))
    ledger = Ledger.open(workdir / "kiosk.db", Limits(15_000, 10**12, 0))
    projects = [Project(id=f"p{i}", association="A", title=f"T{i}", summary="", image_path=None,
                        goal_cents=100, raised_cents=1, currency="EUR", url=None, starts_on=None,
                        ends_on=None, active=True) for i in range(30)]
    catalog = Catalog("server", "v1", projects)
    rows = []

    counter = iter(range(10**6))
    baseline = _timed(lambda: ledger.set_setting("bench", next(counter)), 200)
    choices = [[f"p{(i + k) % 30}" for k in range(6)] for i in range(200)]
    it = iter(choices)
    save = _timed(lambda: featured.save(ledger, catalog, next(it), 6, TODAY), 200)
    rows.append(("featured save (6 projects)", median(save), p95(save),
                 "set_setting", median(baseline), median(save) / median(baseline)))

    _fill(ledger, 20_000)
    summary = _timed(ledger.summary, 30)
    look = _timed(lambda: glance(ledger, TODAY), 30)
    rows.append(("today at a glance, 20k rows", median(look), p95(look),
                 "Ledger.summary", median(summary), median(look) / median(summary)))

    ledger.set_setting("pin_hash", pinmod.hash_pin("4821"))
    access = OwnerAccess(ledger, PinLock(ledger))
    check = _timed(lambda: access.try_pin("4821"), 10)
    rows.append(("PIN check (scrypt n=2^14)", median(check), p95(check),
                 "set_setting", median(baseline), median(check) / median(baseline)))
    print_table(["operation", "median ms", "p95 ms", "baseline", "baseline ms", "ratio"], rows)
    ledger.close()
    shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
