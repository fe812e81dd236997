"""Batch ingest through the central service (production settings, gunicorn, real HTTP on
127.0.0.1) in donations/s, batches of 100, against a raw ``executemany`` of the same rows into
an equivalent table on the same database, in the same run, interleaved in rounds: on a SQLite
file (WAL + synchronous=FULL, on the repository's disk) and on PostgreSQL (a throwaway
cluster, fsync off for both sides alike). Goal: the service reaches >= 50 % of raw.
The donations name a project the service knows, so each batch also adds to its raised total.
Then N simulated kiosks (heartbeat + a small batch per round, time compressed) in client
processes of their own against gunicorn on PostgreSQL: latency per route, errors, the offered
request rate, and the CPU seconds of the server's processes and of the clients'.
``CENTRAL_BENCH_KIOSKS`` (default 200,500,1000; 0: none), ``CENTRAL_BENCH_ROUNDS`` (3),
``CENTRAL_BENCH_COMPRESSION`` (100: a round every 3 s) and ``CENTRAL_BENCH_SERVE`` (gunicorn
configurations as WORKERSxTHREADS, default 2x4,5x4: `central serve`'s default and 2 x cores + 1)
set the load."""

from __future__ import annotations

import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from central.testing.process import _wait_listening
from tests.benchmarks._table import median, p95, print_table
from tests.central.helpers import donation
from tests.central.postgres import Cluster

ROUNDS = 20  # interleaved rounds: 40 batches a side, a steadier median on a shared machine
BATCHES_PER_ROUND = 2
BATCH = 100
KIOSK_ROUNDS = int(os.environ.get("CENTRAL_BENCH_ROUNDS", "3"))
# kiosk-sync sends a heartbeat every 300 s (config/kiosk.example.toml) and a batch when it has
# donations; the simulation runs that COMPRESSION times faster.
HEARTBEAT_INTERVAL_S = 300
COMPRESSION = float(os.environ.get("CENTRAL_BENCH_COMPRESSION", "100"))
KIOSK_PERIOD_S = HEARTBEAT_INTERVAL_S / COMPRESSION
KIOSKS_PER_PROCESS = 250
REPO = Path(__file__).resolve().parents[2]
HEADERS = {"X-Forwarded-Proto": "https"}  # as nginx sets it (production redirects http)
RAW_TABLE = ("CREATE TABLE IF NOT EXISTS raw_donation (device TEXT NOT NULL, id TEXT NOT NULL,"
             " seq BIGINT, boot_id TEXT, project TEXT, amount_cents BIGINT, currency TEXT,"
             " state TEXT, created_at TEXT, finished_at TEXT, auth_code TEXT,"
             " card_suffix TEXT, reason TEXT, content TEXT, PRIMARY KEY (device, id))")
RAW_INSERT = "INSERT INTO raw_donation VALUES ({})".format(", ".join(["{p}"] * 14))

MAKE_CODES = """
import json, sys, django
django.setup()
from central.devices.services import create_enrollment_code
from central.catalog.models import Association, Project
prefix, count = sys.argv[1], int(sys.argv[2])
# The project the donations name (tests.central.helpers.donation): each batch adds to it.
association, _ = Association.objects.get_or_create(name="Bench association")
Project.objects.get_or_create(project_id="p1", defaults={"association": association,
                                                         "title": "Bench project"})
print(json.dumps({f"{prefix}-{n:05d}": create_enrollment_code(f"{prefix}-{n:05d}")
                  for n in range(count)}))
"""


def _raw_row(device: str, item: dict[str, Any]) -> tuple:
    t = item["terminal"]
    return (device, item["id"], item["seq"], item["boot_id"], item["project_id"],
            item["amount_cents"], item["currency"], item["state"], item["created_at"],
            item["finished_at"], t["auth_code"], t["card_suffix"], t["reason"],
            json.dumps(item, sort_keys=True))


class Service:
    """``central migrate`` + ``central serve`` with the production settings."""

    def __init__(self, database_url: str, workdir: Path, workers: int | None = None,
                 threads: int | None = None):
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("DJANGO_", "DATABASE_"))}
        self.env.update(DJANGO_SETTINGS_MODULE="central.settings.production",
                        DJANGO_SECRET_KEY="bench-" + uuid.uuid4().hex * 2,
                        DJANGO_ALLOWED_HOSTS="127.0.0.1", DATABASE_URL=database_url)
        subprocess.run([sys.executable, "-m", "central", "migrate", "-v0"], env=self.env,
                       check=True, timeout=300)
        log = workdir / f"serve-{uuid.uuid4().hex[:6]}.log"
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "central", "serve", "--bind", "127.0.0.1:0",
                 *(["--workers", str(workers)] if workers else []),
                 *(["--threads", str(threads)] if threads else [])],
                env=self.env, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True)
        self.url = _wait_listening(self.proc, log, 0)  # a fresh log: read it from its start

    def enroll(self, prefix: str, count: int) -> list[tuple[str, str]]:
        made = subprocess.run([sys.executable, "-c", MAKE_CODES, prefix, str(count)],
                              env=self.env,
                              check=True, capture_output=True, text=True, timeout=300)
        devices = []
        with requests.Session() as s:
            s.trust_env = False
            for device_id, code in json.loads(made.stdout).items():
                r = s.post(f"{self.url}/v1/enroll", headers=HEADERS, timeout=30,
                           json={"code": code, "device_id": device_id})
                r.raise_for_status()
                devices.append((device_id, r.json()["token"]))
        return devices

    def cpu_s(self) -> float:
        """CPU seconds used so far by gunicorn's master and its workers (from /proc)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # a process that ended meanwhile
            if stat.parent.name == str(self.proc.pid) or fields[1] == str(self.proc.pid):
                total += int(fields[11]) + int(fields[12])  # utime + stime
        return total / tick

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _ingest(name: str, service: Service, raw_conn: Any, placeholder: str,
            rows: list[list[object]]) -> None:
    (device, token), = service.enroll("ingest", 1)
    session = requests.Session()
    session.trust_env = False
    session.headers.update({**HEADERS, "Authorization": f"Bearer {token}",
                            "Content-Type": "application/json"})
    url = f"{service.url}/v1/devices/{device}/donations:batch"
    # The same request to a path with no route: gunicorn, Django's middleware and URL
    # resolver answer it (the device API's JSON 404) without any work. What every batch pays
    # before the service does anything: the floor under the service's figure.
    floor_url = f"{service.url}/v1/devices/{device}/no-such-route"
    insert = RAW_INSERT.format(p=placeholder)
    http_lat: list[float] = []
    floor_lat: list[float] = []
    raw_lat: list[float] = []
    seq = 0
    for _ in range(ROUNDS):
        for _ in range(BATCHES_PER_ROUND):
            items = [donation(seq + n + 1) for n in range(BATCH)]
            seq += BATCH
            # Encoded before the clock starts, as the raw side's rows are built before its
            # own: encoding is the kiosk's work, not the service's.
            body = json.dumps({"donations": items}).encode()
            t0 = time.perf_counter()
            r = session.post(url, data=body, timeout=60)
            http_lat.append(time.perf_counter() - t0)
            statuses = {x["status"] for x in r.json()["results"]}
            assert r.status_code == 200 and statuses == {"created"}, r.text[:200]
            t0 = time.perf_counter()
            r = session.post(floor_url, data=body, timeout=60)
            floor_lat.append(time.perf_counter() - t0)
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", r.text
            raw_items = [_raw_row("raw-" + device, donation(n)) for n in range(BATCH)]
            t0 = time.perf_counter()
            with raw_conn.cursor() if placeholder == "%s" else _sqlite_cursor(raw_conn) as cur:
                cur.executemany(insert, raw_items)
            raw_conn.commit()
            raw_lat.append(time.perf_counter() - t0)
    # Every batch went over the one keep-alive connection, as kiosk-sync's session sends them.
    pools = session.get_adapter(url).poolmanager.pools
    opened = sum(pools[key].num_connections for key in pools.keys())
    assert opened == 1, f"{opened} connections opened for one client"
    session.close()
    http_rate, raw_rate = BATCH / median(http_lat), BATCH / median(raw_lat)
    floor_rate = BATCH / median(floor_lat)
    rows.append([f"{name}: raw executemany + commit", median(raw_lat) * 1e3,
                 p95(raw_lat) * 1e3, raw_rate, 1.0])
    rows.append([f"{name}: floor, same body, no route (JSON 404)", median(floor_lat) * 1e3,
                 p95(floor_lat) * 1e3, floor_rate, floor_rate / raw_rate])
    rows.append([f"{name}: service batch over HTTP", median(http_lat) * 1e3,
                 p95(http_lat) * 1e3, http_rate, http_rate / raw_rate])


class _sqlite_cursor:  # noqa: N801  (sqlite3's cursor is not a context manager)
    def __init__(self, conn: sqlite3.Connection):
        self.cur = conn.cursor()

    def __enter__(self) -> sqlite3.Cursor:
        return self.cur

    def __exit__(self, *exc: object) -> None:
        self.cur.close()


def _kiosks(service: Service, devices: list[tuple[str, str]], label: str, workdir: Path
            ) -> tuple[list[list[object]], list[str]]:
    """``len(devices)`` kiosks in client processes of their own (at most KIOSKS_PER_PROCESS
    threads each), so the measuring side never shares a GIL with the server."""
    count = len(devices)
    procs = -(-count // KIOSKS_PER_PROCESS)
    server_cpu = service.cpu_s()
    clients_cpu = _children_cpu_s()
    job = {"url": service.url, "rounds": KIOSK_ROUNDS, "period_s": KIOSK_PERIOD_S}
    # Every client gets its job before any is waited for, and writes to a file of its own: all
    # of them run at once (a pipe read one client after another would run them in turn).
    outputs = [workdir / f"kiosks-{label}-{count}-{n}.json" for n in range(procs)]
    clients = []
    for output in outputs:
        with open(output, "w") as out:
            clients.append(subprocess.Popen(
                [sys.executable, "-m", "tests.benchmarks._central_kiosks"],
                stdin=subprocess.PIPE, stdout=out, text=True,
                env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=REPO))
    started = time.perf_counter()
    for n, client in enumerate(clients):
        client.stdin.write(json.dumps({**job, "seed": n, "devices": devices[n::procs]}))
        client.stdin.close()
    for client in clients:
        client.wait(timeout=KIOSK_PERIOD_S * (KIOSK_ROUNDS + 2) + 120)
    outs = [output.read_text() for output in outputs]
    elapsed = time.perf_counter() - started
    server_cpu = service.cpu_s() - server_cpu
    clients_cpu = _children_cpu_s() - clients_cpu
    lat: dict[str, list[float]] = {"heartbeat": [], "batch": []}
    errors: list[str] = []
    for out in outs:
        done = json.loads(out)
        errors += done["errors"]
        for kind, values in done["latency"].items():
            lat[kind] += values
    sent = sum(len(v) for v in lat.values())
    return [[f"{label}, {count} kiosks: {kind}", median(v) * 1e3, p95(v) * 1e3, max(v) * 1e3,
             len(v), sum(1 for e in errors if e.startswith(kind)), sent / elapsed,
             server_cpu / elapsed, clients_cpu / elapsed]
            for kind, v in lat.items()], errors


def _children_cpu_s() -> float:
    """CPU seconds of the ended client processes (waited for: counted in RUSAGE_CHILDREN)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def main() -> None:
    import psycopg

    workdir = Path(tempfile.mkdtemp(prefix="bench-central-", dir=Path.cwd()))
    pg_root = Path(tempfile.mkdtemp(prefix="central-pg-"))
    cluster = Cluster(pg_root)
    cluster.start()
    services: list[Service] = []
    try:
        rows: list[list[object]] = []
        raw_sqlite = sqlite3.connect(workdir / "raw.sqlite3")
        raw_sqlite.execute("PRAGMA journal_mode=WAL")
        raw_sqlite.execute("PRAGMA synchronous=FULL")
        raw_sqlite.execute(RAW_TABLE)
        services.append(Service(f"sqlite:///{workdir / 'central.sqlite3'}", workdir))
        _ingest("SQLite", services[-1], raw_sqlite, "?", rows)
        services.pop().stop()
        raw_sqlite.close()
        pg_url = cluster.create_database("central_bench")
        with psycopg.connect(cluster.create_database("raw_bench")) as raw_pg:
            raw_pg.execute(RAW_TABLE)
            raw_pg.commit()
            services.append(Service(pg_url, workdir))
            _ingest("PostgreSQL", services[-1], raw_pg, "%s", rows)
        print(f"batch ingest, {ROUNDS} interleaved rounds of {BATCHES_PER_ROUND} batches of "
              f"{BATCH}, one kiosk, gunicorn as `central serve` starts it, loopback HTTP")
        print_table(["path", "median ms/batch", "p95 ms/batch", "donations/s",
                     "ratio vs raw"], rows)
        for n in range(0, len(rows), 3):
            ratio = rows[n + 2][4]
            verdict = "meets" if ratio >= 0.5 else "MISSES"
            print(f"{rows[n + 2][0]}: {ratio:.0%} of raw ({verdict} the 50 % goal); "
                  f"a request doing nothing reaches {rows[n + 1][4]:.0%}")
        services.pop().stop()
        counts = [int(n) for n in
                  os.environ.get("CENTRAL_BENCH_KIOSKS", "200,500,1000").split(",") if int(n)]
        if not counts:  # CENTRAL_BENCH_KIOSKS=0: the batch ingest only
            return
        serves = [tuple(int(x) for x in c.split("x")) for c in
                  os.environ.get("CENTRAL_BENCH_SERVE", "2x4,5x4").split(",")]
        print(f"\nsimulated kiosks in client processes of their own ({KIOSKS_PER_PROCESS} "
              f"threads at most each), {KIOSK_ROUNDS} rounds of heartbeat + batch of 1-10, "
              f"one round per {KIOSK_PERIOD_S:g} s (a {HEARTBEAT_INTERVAL_S} s heartbeat "
              f"interval compressed {COMPRESSION:g}x: N kiosks offer about "
              f"2 N / {KIOSK_PERIOD_S:g} requests/s); PostgreSQL; gunicorn gthread, "
              f"WORKERSxTHREADS; CPU columns: cores busy (CPU s / wall s) on {os.cpu_count()} "
              "cores")
        rows, errors = [], []
        devices: list[tuple[str, str]] = []
        for workers, threads in serves:
            services.append(Service(pg_url, workdir, workers, threads))
            if len(devices) < max(counts):
                devices = services[-1].enroll("kiosk", max(counts))
            for count in counts:
                table, errs = _kiosks(services[-1], devices[:count], f"{workers}x{threads}",
                                      workdir)
                rows += table
                errors += errs
            services.pop().stop()
        print_table(["requests", "median ms", "p95 ms", "max ms", "count", "errors",
                     "req/s", "server CPU", "clients CPU"], rows)
        for what, n in Counter(errors).most_common(5):
            print(f"error x{n}: {what}")
    finally:
        for s in services:
            s.stop()
        cluster.stop()
        shutil.rmtree(pg_root, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
