"""The background work of the appliance benchmarks: the central service on 127.0.0.1 (a real
process), an enrolled kiosk configuration and ledger, a catalog of full-HD photos published
on the service, a donation backlog, and a real ``kiosk-sync`` process draining it all."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from central.catalog.demo import image_url
from central.testing.process import Running, start
from kiosk.core.config import Config
from kiosk.core.ledger import Ledger
from kiosk.sync.enroll import enroll
from kiosk.sync.service import make_client
from tests.screen.screen_fixtures import make_projects
from tests.sync.helpers import DEVICE_ID, bulk_insert, open_ledger, write_config

ROOT = Path(__file__).resolve().parents[2]
ENROLL_CODE = "BENCH-APPLIANCE"
SYNC = Path(sys.executable).parent / "kiosk-sync"  # the console script a device runs


@dataclass
class SyncSide:
    central: Running
    cfg: Config
    ledger: Ledger

    def close(self) -> None:
        self.ledger.close()
        self.central.stop()


def start_sync_side(workdir: Path) -> SyncSide:
    """The central service and an enrolled kiosk whose data dir is ``workdir/data``."""
    central = start(workdir / "central.db", enroll_codes=(ENROLL_CODE,), device_id=DEVICE_ID)
    try:
        cfg = write_config(workdir, central.url, read_timeout_s=30, call_deadline_s=60)
        ledger = open_ledger(cfg)
        client = make_client(cfg, None)
        enroll(cfg, ledger, ENROLL_CODE, client)
        client.close()
    except BaseException:
        central.stop()
        raise
    return SyncSide(central, cfg, ledger)


def publish_photo_catalog(side: SyncSide, photos_dir: Path, count: int, label: str,
                          new_photos: bool = False) -> str:
    """``count`` projects with a full-HD JPEG each, published on the service, ``label`` in
    their summaries (a new catalog; returned, to tell when it is live: the served version
    also changes as donations arrive, since it carries the amounts raised). ``new_photos``:
    ``label`` also goes into each JPEG as a comment, so the photos are new files to download
    and decode while the previous ones stay in place for the screen."""
    projects, images = [], {}
    for p in make_projects(photos_dir, count, (1920, 1080)):
        data = p.image_path.read_bytes()
        if new_photos:
            data = with_comment(data, label.encode())
        sha = hashlib.sha256(data).hexdigest()
        images[sha] = data
        projects.append({"id": p.id, "association": p.association, "title": p.title,
                         "summary": f"{p.summary} [{label}]", "goal_cents": p.goal_cents,
                         "raised_cents": p.raised_cents, "currency": "EUR", "url": None,
                         "starts_on": None, "ends_on": None, "active": True,
                         "image": {"url": image_url(sha), "sha256": sha, "bytes": len(data)}})
    side.central.store.set_catalog({"version": "bench", "projects": projects}, images)
    return f"[{label}]"


def with_comment(jpeg: bytes, text: bytes) -> bytes:
    """The same picture with a COM segment after SOI: other bytes, same decode."""
    return jpeg[:2] + b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text + jpeg[2:]


def add_backlog(side: SyncSide, count: int, chunk: int | None = None,
                writes: list[tuple[float, float]] | None = None, pause_s: float = 0.0) -> int:
    """``count`` final donations to send, in transactions of ``chunk`` rows (all in one by
    default) ``pause_s`` apart; returns the last one's seq. ``writes`` gets each transaction's
    start and end (``time.perf_counter``: CLOCK_MONOTONIC, comparable across processes)."""
    chunk = chunk or count
    for done in range(0, count, chunk):
        if done and pause_s:
            time.sleep(pause_s)
        start = time.perf_counter()
        bulk_insert(side.ledger, min(chunk, count - done))
        if writes is not None:
            writes.append((start, time.perf_counter()))
    return int(side.ledger.db.conn.execute("SELECT max(seq) FROM donations").fetchone()[0])


def sync_done(side: SyncSide, label: str, through_seq: int = 0) -> bool:
    """Every donation up to ``through_seq`` is sent and the catalog published with ``label``
    is live (donations made meanwhile may still wait for sync's next poll)."""
    oldest = side.ledger.backlog().oldest_seq
    projects = side.ledger.catalog_projects()
    return ((oldest is None or oldest > through_seq)
            and bool(projects) and all(label in p["summary"] for p in projects))


Wrap = Callable[[list[str]], tuple[list[str], Callable[[], None] | None]]


def spawn_sync(side: SyncSide, *, polite: bool, extra: list[str] | None = None,
               env: dict[str, str] | None = None,
               wrap: Wrap | None = None) -> subprocess.Popen[bytes]:
    """``kiosk-sync --config FILE`` running until stopped. ``polite``: at the priority its
    systemd unit gives it (Nice=10, lowest best-effort I/O). ``wrap``: how to start it inside
    a budget (``_budget.Budget.wrap``)."""
    argv = [str(SYNC), "--config", str(side.cfg.path), *(extra or [])]
    if polite and shutil.which("ionice"):
        argv = ["ionice", "-c2", "-n7", *argv]
    argv, join = wrap(argv) if wrap else (argv, None)

    def before_exec() -> None:
        if join:
            join()
        if polite:
            os.nice(10)

    return subprocess.Popen(argv, cwd=ROOT, env=env, preexec_fn=before_exec)


def wait_until_done(side: SyncSide, label: str, proc: subprocess.Popen[Any],
                    through_seq: int = 0, timeout_s: float = 600) -> float:
    """Seconds until the backlog is drained and the catalog live (sync must keep running)."""
    t0 = time.monotonic()
    while not sync_done(side, label, through_seq):
        if proc.poll() is not None:
            raise RuntimeError(f"kiosk-sync exited with {proc.returncode}")
        if time.monotonic() - t0 > timeout_s:
            raise TimeoutError("kiosk-sync did not finish in time")
        time.sleep(0.05)
    return time.monotonic() - t0


def stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
