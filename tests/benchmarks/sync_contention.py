"""Does kiosk-sync make the screen's commits wait? A process commits donations through the
ledger as the screen does (``create_pending`` + ``finish``, a pause between donations) while a
real ``kiosk-sync`` process drains a backlog of 10 000 donations to the central service (a
real process on 127.0.0.1) and pulls a catalog of 30 full-HD photos; against the same loop
with sync idle (no backlog, catalog current), in the same run. Sync runs twice: at the screen's
priority, and as its unit runs it (nice 10, lowest best-effort I/O).

What is reported is each commit's duration; the wait caused by sync is the excess over the idle
row. Goal: the pending commit never waits more than a few milliseconds."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.benchmarks._sync_load import (
    ROOT,
    SyncSide,
    add_backlog,
    publish_photo_catalog,
    spawn_sync,
    start_sync_side,
    stop,
    wait_until_done,
)
from tests.benchmarks._table import median, p95, print_table

BACKLOG = int(os.environ.get("BENCH_BACKLOG", 10_000))  # smaller for a smoke run
PHOTOS = int(os.environ.get("BENCH_PHOTOS", 30))
IDLE_DONATIONS = 300
PAUSE_S = 0.01


def writer(side: SyncSide, stop_file: Path, limit: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.benchmarks._ledger_writer",
                             str(side.cfg.ledger_path), str(stop_file), str(limit),
                             str(PAUSE_S)], cwd=ROOT, stdout=subprocess.PIPE, text=True)


def result(proc: subprocess.Popen[str]) -> dict[str, list[float]]:
    out, _ = proc.communicate(timeout=120)
    if proc.returncode:
        raise RuntimeError("the ledger writer failed")
    return json.loads(out.strip().splitlines()[-1])


def loaded_round(side: SyncSide, workdir: Path, name: str, polite: bool,
                 photos: Path) -> tuple[dict[str, list[float]], float]:
    """The writer's commits while sync drains BACKLOG and pulls a new catalog of PHOTOS."""
    last_seq = add_backlog(side, BACKLOG)
    shutil.rmtree(side.cfg.images_dir, ignore_errors=True)  # every photo downloaded again
    version = publish_photo_catalog(side, photos, PHOTOS, name)  # a new catalog
    stop_file = workdir / f"stop-{name}"
    sync = spawn_sync(side, polite=polite)
    try:
        w = writer(side, stop_file, 10**6)
        elapsed = wait_until_done(side, version, sync, last_seq)
        stop_file.touch()
        return result(w), elapsed
    finally:
        stop(sync)


def main() -> None:
    # On the repository's disk (not a tmpfs), like the data dir on a device's SD card.
    workdir = Path(tempfile.mkdtemp(prefix="bench-contention-", dir=Path.cwd()))
    photos = Path(tempfile.mkdtemp(prefix="bench-photos-"))
    try:
        side = start_sync_side(workdir)
        try:
            # Idle: sync running with nothing to do (backlog empty, catalog current).
            version = publish_photo_catalog(side, photos, PHOTOS, "idle")
            sync = spawn_sync(side, polite=False)
            try:
                wait_until_done(side, version, sync)
                idle = result(writer(side, workdir / "never", IDLE_DONATIONS))
            finally:
                stop(sync)
            loud, loud_s = loaded_round(side, workdir, "loud", False, photos)
            polite, polite_s = loaded_round(side, workdir, "polite", True, photos)
        finally:
            side.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(photos, ignore_errors=True)
    base = median(idle["pending_s"])
    rows = []
    for label, run in (("sync idle (baseline)", idle),
                       (f"sync draining, nice 0 ({loud_s:.1f} s)", loud),
                       (f"sync draining, nice 10 as its unit ({polite_s:.1f} s)", polite)):
        ms = [s * 1000 for s in run["pending_s"]]
        fin = [s * 1000 for s in run["finish_s"]]
        rows.append([label, len(ms), median(ms), p95(ms), max(ms), median(ms) / (base * 1000),
                     p95(fin), max(fin)])
    print(f"{BACKLOG} donations drained and {PHOTOS} full-HD photos pulled by a kiosk-sync "
          f"process while another process commits a donation every {PAUSE_S * 1000:.0f} ms; "
          "central service on 127.0.0.1; WAL + synchronous=FULL on the repository's disk")
    print_table(["create_pending while", "n", "median ms", "p95 ms", "max ms", "median ratio",
                 "finish p95 ms", "finish max ms"], rows)
    print("goal: the pending commit waits no more than a few ms for sync (p95 and max minus "
          "the idle row)")


if __name__ == "__main__":
    main()
