"""Backlog drain rate of kiosk-sync against the central service's raw ingest rate, in the same
run and against the same service (``central serve``, gunicorn, SQLite, test settings: each
exchange is also recorded, an extra insert that both sides pay alike), interleaved in rounds
so that noise on the machine hits both alike (goal: drain >= 50 % of raw); then peak RSS of a
kiosk-sync process draining 100 000 donations against its idle RSS (goal: < 1.3x).

Raw ingest: pre-encoded batches of 100 posted by a bare requests.Session, nothing parsed.
Drain: the real service round (SyncService.run_once: outbox reads, batch upload, result
checks, mark_synced commits) over a ledger backlog built with a bulk insert.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

from central.testing.process import Running, start
from kiosk.core import db as dbmod
from kiosk.core.config import Config
from kiosk.core.ledger import Ledger
from kiosk.sync.client import ApiClient
from kiosk.sync.enroll import enroll
from kiosk.sync.service import SyncService, Timing, make_client
from tests.benchmarks._table import median, p95, print_table
from tests.sync.helpers import (
    DEVICE_ID,
    bulk_insert,
    open_ledger,
    proc_memory_kib,
    wait_for_sync_status,
    write_config,
)

ROUNDS = 5
PER_ROUND = 20_000
BATCH = 100
RSS_BACKLOG = 100_000
ROOT = Path(__file__).resolve().parents[2]


WORKERS = 2


def start_server(workdir: Path) -> Running:
    server = start(workdir / "central.db", workers=WORKERS)
    server.store.add_enroll_code("BENCH-RAW", "bench-raw")
    server.store.add_enroll_code("BENCH-KIOSK", DEVICE_ID)
    return server


def raw_batches(n: int, first_seq: int) -> list[bytes]:
    items = [{"id": str(uuid.uuid4()), "seq": first_seq + i, "boot_id": "bench",
              "project_id": f"proj-{i % 6}", "amount_cents": 100 + i % 5000, "currency": "EUR",
              "state": "approved", "created_at": "2026-11-20T10:00:00.000Z",
              "finished_at": "2026-11-20T10:00:30.000Z",
              "terminal": {"auth_code": "A12345", "card_suffix": "4242", "reason": None}}
             for i in range(n)]
    return [json.dumps({"donations": items[i:i + BATCH]}).encode()
            for i in range(0, n, BATCH)]


def raw_round(session: requests.Session, url: str, batches: list[bytes],
              latencies: list[float]) -> float:
    start = time.perf_counter()
    for body in batches:
        t0 = time.perf_counter()
        answer = session.post(url, data=body, headers={"Content-Type": "application/json"})
        answer.raise_for_status()
        latencies.append(time.perf_counter() - t0)
    return time.perf_counter() - start


def drain_round(cfg: Config, ledger: Ledger) -> float:
    bulk_insert(ledger, PER_ROUND)
    service = SyncService(cfg, ledger, timing=Timing())
    start = time.perf_counter()
    code = service.run_once()
    elapsed = time.perf_counter() - start
    service.close()
    assert code == 0, service.status()
    return elapsed


def rss_of_sync_process(cfg: Config, ledger: Ledger) -> tuple[int, int]:
    """(idle RSS, peak RSS draining RSS_BACKLOG) of kiosk-sync processes, in KiB."""
    args = [sys.executable, "-m", "kiosk.sync.service", "--config", str(cfg.path)]
    with dbmod.immediate(ledger.db) as conn:  # so that the idle process's first status shows
        conn.execute("DELETE FROM service_status WHERE service = 'sync'")
    idle_proc = subprocess.Popen(args, cwd=ROOT)
    try:
        wait_for_sync_status(ledger)
        idle = proc_memory_kib(idle_proc.pid)["VmRSS"]
    finally:
        idle_proc.terminate()
        idle_proc.wait(timeout=10)
    bulk_insert(ledger, RSS_BACKLOG)
    proc = subprocess.Popen([*args, "--once"], cwd=ROOT)
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, proc_memory_kib(proc.pid)["VmHWM"])
        except (FileNotFoundError, ProcessLookupError, KeyError):
            pass
        time.sleep(0.05)
    assert proc.returncode == 0
    return idle, peak


def main() -> None:
    # On the repository's disk (not a tmpfs), like the data dir on a device's SD card.
    workdir = Path(tempfile.mkdtemp(prefix="bench-sync-", dir=Path.cwd()))
    server = start_server(workdir)
    url = server.url
    try:
        token = requests.post(f"{url}/v1/enroll", json={"code": "BENCH-RAW",
                                                        "device_id": "bench-raw"}).json()["token"]
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        raw_url = f"{url}/v1/devices/bench-raw/donations:batch"
        cfg = write_config(workdir, url, read_timeout_s=30, call_deadline_s=60)
        ledger = open_ledger(cfg)
        client: ApiClient = make_client(cfg, None)
        enroll(cfg, ledger, "BENCH-KIOSK", client)
        client.close()
        raw_rates, drain_rates, raw_lat = [], [], []
        for r in range(ROUNDS):
            batches = raw_batches(PER_ROUND, 1 + r * PER_ROUND)
            raw_rates.append(PER_ROUND / raw_round(session, raw_url, batches, raw_lat))
            drain_rates.append(PER_ROUND / drain_round(cfg, ledger))
        idle, peak = rss_of_sync_process(cfg, ledger)
        ledger.close()
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    raw_med = median(raw_rates)
    print(f"{ROUNDS} rounds of {PER_ROUND} donations each way, batches of {BATCH}; "
          f"the central service on 127.0.0.1 ({WORKERS} gunicorn workers, SQLite WAL, "
          "synchronous=FULL)")
    print_table(["measure", "median", "p95", "ratio"], [
        ["raw ingest, donations/s", raw_med, p95(raw_rates), 1.0],
        ["kiosk-sync drain, donations/s", median(drain_rates), p95(drain_rates),
         median(drain_rates) / raw_med],
        ["raw batch latency, ms", median(raw_lat) * 1000, p95(raw_lat) * 1000, "-"],
        ["kiosk-sync RSS idle, MiB", idle / 1024, "-", 1.0],
        [f"kiosk-sync peak RSS draining {RSS_BACKLOG}, MiB", peak / 1024, "-", peak / idle],
    ])
    print("goals: drain >= 0.5 x raw ingest; peak RSS < 1.3 x idle")


if __name__ == "__main__":
    main()
