"""Shared helpers for the sync tests and the drain benchmark: a kiosk configuration pointing
at the central service on 127.0.0.1, donations in a real ledger, and the invariant check."""

from __future__ import annotations

import random
import uuid
from pathlib import Path
from typing import Any

from central.testing.process import Running
from kiosk.core import config as configmod
from kiosk.core import db as dbmod
from kiosk.core.ledger import Ledger, Limits
from kiosk.sync.outbox import to_item

DEVICE_ID = "cafe-test-01"
LIMITS = Limits(max_donation_cents=15000, offline_cap_cents=10**12, min_free_disk_bytes=0)


def write_config(workdir: Path, base_url: str, **api: Any) -> configmod.Config:
    values = {
        "device": {"id": DEVICE_ID, "data_dir": str(workdir / "data"), "min_free_disk_mb": 0},
        "api": {"base_url": base_url, "token_file": str(workdir / "device-token"),
                "connect_timeout_s": 2, "read_timeout_s": 2, "call_deadline_s": 5, **api},
        "donations": {"offline_cap_cents": 10**9},
    }
    path = workdir / "kiosk.toml"
    path.write_text(configmod.render_toml(values))
    return configmod.load(path)


def open_ledger(cfg: configmod.Config) -> Ledger:
    return Ledger.open(cfg.ledger_path, LIMITS)


def add_donations(ledger: Ledger, n: int, seed: int = 1) -> list[str]:
    """``n`` donations through the real ledger path, in a mix of final states."""
    rng = random.Random(seed)
    ids = []
    for _ in range(n):
        d = ledger.create_pending(f"proj-{rng.randint(1, 6)}", rng.choice([200, 500, 1000]),
                                  "EUR")
        state = rng.choice(["approved"] * 6 + ["declined", "cancelled", "failed", "unknown"])
        ledger.finish(d.id, state, auth_code="A1B2C3" if state == "approved" else None,
                      card_suffix="4242" if state == "approved" else None,
                      reason=None if state == "approved" else f"terminal said {state}")
        ids.append(d.id)
    return ids


def bulk_insert(ledger: Ledger, n: int) -> None:
    """``n`` final donations in one transaction (a backlog built in seconds, for big tests).
    The numbering is read inside the transaction: another process may be adding donations."""
    with dbmod.immediate(ledger.db) as conn:
        start = conn.execute("SELECT coalesce(max(seq), 0) FROM donations").fetchone()[0]
        rows = [(str(uuid.UUID(int=random.getrandbits(128), version=4)), start + i,
                 "boot-bulk", f"proj-{i % 6 + 1}", 100 + i % 5000, "EUR", "approved",
                 "2026-11-20T10:00:00.000Z", 0, "2026-11-20T10:00:30.000Z", 0,
                 f"A{i % 99999:05d}", f"{i % 10000:04d}") for i in range(1, n + 1)]
        conn.executemany(
            "INSERT INTO donations (id, seq, boot_id, project_id, amount_cents, currency, state,"
            " created_at, created_mono_ns, finished_at, finished_mono_ns, auth_code,"
            " card_suffix) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("INSERT INTO counters (name, value) VALUES ('donation_seq', ?)"
                     " ON CONFLICT (name) DO UPDATE SET value = excluded.value", (start + n,))


def ledger_final_items(ledger: Ledger) -> dict[str, dict[str, Any]]:
    rows = ledger._query("WHERE state != 'pending' ORDER BY seq")
    return {d.id: to_item(d) for d in rows}


def assert_invariant(central: Running, ledger: Ledger, device_id: str = DEVICE_ID) -> None:
    """The server's donations equal the ledger's final donations exactly: same ids, same
    content, no duplicates, nothing missing, and every one marked synced on the device."""
    server = central.store.donations(device_id)
    server_ids = [d["id"] for d in server]
    assert len(server_ids) == len(set(server_ids)), "the server holds a donation twice"
    local = ledger_final_items(ledger)
    assert {d["id"]: d for d in server} == local
    counts = dict(ledger.db.conn.execute(
        "SELECT sync_state, count(*) FROM donations WHERE state != 'pending'"
        " GROUP BY sync_state").fetchall())
    assert counts == ({"synced": len(local)} if local else {})


def proc_memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a live process, from /proc. (ru_maxrss of children is no use
    here: it counts the parent's pages a child has between fork and exec.)"""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values


def wait_for_sync_status(ledger: Ledger, timeout_s: float = 30) -> dict[str, Any]:
    """Block until a kiosk-sync process has written its status once (one round done)."""
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = ledger.service_status().get("sync")
        if status:
            return status
        time.sleep(0.02)
    raise AssertionError("kiosk-sync wrote no status")


def served_catalog(central: Running, token_file: Path,
                   device_id: str = DEVICE_ID) -> dict[str, Any]:
    """The catalog the service serves this device now (its ``version`` is the service's hash
    of the projects, so a test reads it rather than choosing it)."""
    import requests

    from kiosk.sync.token_file import read_token

    answer = requests.get(f"{central.url}/v1/devices/{device_id}/catalog", timeout=10,
                          headers={"Authorization": f"Bearer {read_token(token_file)}"})
    answer.raise_for_status()
    return answer.json()


class CatalogOverride:
    """A loopback HTTP proxy in front of the central service that answers the catalog (and
    the images given) itself, with bodies the real service never produces (missing fields,
    duplicate ids, file: URLs, hashes that lie...); everything else is forwarded, so the
    donations, heartbeats and exchanges stay the real service's."""

    def __init__(self, upstream: str):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        import requests

        self.catalog: Any = None  # None: the service's own catalog
        self.images: dict[str, bytes] = {}
        session = requests.Session()
        session.trust_env = False
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _any(self) -> None:
                import json

                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path.split("?")[0]
                sha = path.rsplit("/", 1)[-1]
                if owner.catalog is not None and path.endswith("/catalog"):
                    self._send(200, json.dumps(owner.catalog).encode(),
                               {"Content-Type": "application/json", "ETag": '"override"'})
                elif path.startswith("/v1/images/") and sha in owner.images:
                    self._send(200, owner.images[sha], {"Content-Type": "image/jpeg"})
                else:
                    keep = ("Authorization", "Content-Type", "If-None-Match")
                    answer = session.request(
                        self.command, upstream + self.path, data=body or None, timeout=30,
                        headers={k: v for k, v in self.headers.items() if k in keep})
                    self._send(answer.status_code, answer.content,
                               {k: v for k, v in answer.headers.items()
                                if k in ("Content-Type", "ETag", "Retry-After")})

            do_GET = do_POST = do_PUT = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self._session = session

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._session.close()
