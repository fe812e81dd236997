"""The reference server's SQLite store: devices, enrollment codes, donations, catalog, images.

Donations are de-duplicated on (device_id, id) by the primary key, permanently: a re-sent
donation with the same content is a ``duplicate``, with other content a ``conflict``, and the
stored row is never overwritten.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    receipt_key TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    enrolled_at TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS enroll_codes (
    code TEXT PRIMARY KEY,
    used_by TEXT,
    used_at TEXT
) STRICT;
CREATE TABLE IF NOT EXISTS donations (
    device_id TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    content TEXT NOT NULL,            -- canonical JSON of the item as first received
    received_at TEXT NOT NULL,
    PRIMARY KEY (device_id, id)
) STRICT;
CREATE TABLE IF NOT EXISTS featured (
    device_id TEXT PRIMARY KEY,
    project_ids TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS heartbeats (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    body TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS audit (
    device_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    row TEXT NOT NULL,
    PRIMARY KEY (device_id, seq)            -- a resent row is stored once
) STRICT;
CREATE TABLE IF NOT EXISTS catalog (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    body TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS images (
    sha256 TEXT PRIMARY KEY,
    data BLOB NOT NULL
) STRICT;
"""

EMPTY_CATALOG: dict[str, Any] = {"version": "empty", "projects": []}


def now_rfc3339() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def canonical(item: dict[str, Any]) -> str:
    return json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class EnrollError(Exception):
    def __init__(self, status: int, code: str, message: str):
        self.status, self.code = status, code
        super().__init__(message)


class Store:
    """Thread-safe access to the server's database (one connection behind a lock)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(self.path), isolation_level=None,
                                     check_same_thread=False, timeout=5)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = FULL")
        for statement in SCHEMA.split(";\n"):
            if statement.strip():
                self._conn.execute(statement)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _write(self, fn: Any, *args: Any) -> Any:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(self._conn, *args)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            return result

    def _read(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, tuple(params)).fetchall()

    # -- enrollment and tokens -------------------------------------------------------------

    def add_enroll_code(self, code: str) -> None:
        self._write(lambda c: c.execute(
            "INSERT OR IGNORE INTO enroll_codes (code) VALUES (?)", (code,)))

    def enroll(self, code: str, device_id: str) -> dict[str, str]:
        """Use a one-time code; a device enrolled again keeps its receipt key, so the QR codes
        it already printed still verify, and gets a new token (un-revoked)."""
        token = secrets.token_urlsafe(32)

        def tx(c: sqlite3.Connection) -> dict[str, str]:
            row = c.execute("SELECT used_by FROM enroll_codes WHERE code = ?", (code,)).fetchone()
            if row is None:
                raise EnrollError(404, "unknown_code", "this enrollment code is not known")
            if row[0] is not None:
                raise EnrollError(409, "code_used", "this enrollment code was already used")
            now = now_rfc3339()
            c.execute("UPDATE enroll_codes SET used_by = ?, used_at = ? WHERE code = ?",
                      (device_id, now, code))
            old = c.execute("SELECT receipt_key FROM devices WHERE device_id = ?",
                            (device_id,)).fetchone()
            key = old[0] if old else secrets.token_hex(32)
            c.execute("INSERT INTO devices (device_id, token_sha256, receipt_key, enrolled_at)"
                      " VALUES (?, ?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET"
                      " token_sha256 = excluded.token_sha256, revoked = 0,"
                      " enrolled_at = excluded.enrolled_at",
                      (device_id, token_hash(token), key, now))
            return {"device_id": device_id, "token": token, "receipt_key": key}

        return self._write(tx)

    def device_for_token(self, token: str) -> tuple[str, bool] | None:
        """(device_id, revoked) for a token, or None if unknown."""
        rows = self._read("SELECT device_id, revoked FROM devices WHERE token_sha256 = ?",
                          (token_hash(token),))
        return (rows[0][0], bool(rows[0][1])) if rows else None

    def revoke(self, device_id: str) -> None:
        self._write(lambda c: c.execute("UPDATE devices SET revoked = 1 WHERE device_id = ?",
                                        (device_id,)))

    def receipt_key(self, device_id: str) -> str | None:
        rows = self._read("SELECT receipt_key FROM devices WHERE device_id = ?", (device_id,))
        return rows[0][0] if rows else None

    # -- donations ---------------------------------------------------------------------------

    def ingest(self, device_id: str, items: list[dict[str, Any]]) -> list[str]:
        """Store valid items in one transaction; per item ``created``/``duplicate``/``conflict``."""

        def tx(c: sqlite3.Connection) -> list[str]:
            statuses = []
            now = now_rfc3339()
            for item in items:
                content = canonical(item)
                cur = c.execute("INSERT INTO donations (device_id, id, seq, content, received_at)"
                                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                                (device_id, item["id"], item["seq"], content, now))
                if cur.rowcount == 1:
                    statuses.append("created")
                    continue
                stored = c.execute("SELECT content FROM donations WHERE device_id = ? AND id = ?",
                                   (device_id, item["id"])).fetchone()[0]
                statuses.append("duplicate" if stored == content else "conflict")
            return statuses

        return self._write(tx)

    def donations(self, device_id: str) -> list[dict[str, Any]]:
        return [json.loads(r[0]) for r in self._read(
            "SELECT content FROM donations WHERE device_id = ? ORDER BY seq", (device_id,))]

    def donation(self, device_id: str, donation_id: str) -> dict[str, Any] | None:
        rows = self._read("SELECT content FROM donations WHERE device_id = ? AND id = ?",
                          (device_id, donation_id))
        return json.loads(rows[0][0]) if rows else None

    # -- featured and heartbeats ---------------------------------------------------------------

    def set_featured(self, device_id: str, project_ids: list[str]) -> None:
        self._write(lambda c: c.execute(
            "INSERT INTO featured (device_id, project_ids, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (device_id) DO UPDATE SET project_ids = excluded.project_ids,"
            " updated_at = excluded.updated_at",
            (device_id, json.dumps(project_ids), now_rfc3339())))

    def featured(self, device_id: str) -> list[str] | None:
        rows = self._read("SELECT project_ids FROM featured WHERE device_id = ?", (device_id,))
        return json.loads(rows[0][0]) if rows else None

    def add_heartbeat(self, device_id: str, body: dict[str, Any]) -> None:
        def tx(c: sqlite3.Connection) -> None:
            c.execute("INSERT INTO heartbeats (device_id, received_at, body) VALUES (?, ?, ?)",
                      (device_id, now_rfc3339(), json.dumps(body)))
            c.executemany("INSERT OR IGNORE INTO audit (device_id, seq, row) VALUES (?, ?, ?)",
                          [(device_id, r["seq"], canonical(r)) for r in body.get("audit", [])])

        self._write(tx)

    def audit_rows(self, device_id: str) -> list[dict[str, Any]]:
        return [json.loads(r[0]) for r in self._read(
            "SELECT row FROM audit WHERE device_id = ? ORDER BY seq", (device_id,))]

    def heartbeats(self, device_id: str) -> list[dict[str, Any]]:
        return [json.loads(r[0]) for r in self._read(
            "SELECT body FROM heartbeats WHERE device_id = ? ORDER BY n", (device_id,))]

    # -- catalog and images ------------------------------------------------------------------

    def set_catalog(self, catalog: dict[str, Any], images: dict[str, bytes]) -> None:
        """Replace the catalog; ``images`` maps sha256 -> bytes (served at v1/images/<sha>)."""

        def tx(c: sqlite3.Connection) -> None:
            for sha, data in images.items():
                c.execute("INSERT OR REPLACE INTO images (sha256, data) VALUES (?, ?)",
                          (sha, data))
            c.execute("INSERT OR REPLACE INTO catalog (singleton, body) VALUES (1, ?)",
                      (canonical(catalog),))

        self._write(tx)

    def catalog(self) -> dict[str, Any]:
        rows = self._read("SELECT body FROM catalog WHERE singleton = 1")
        return json.loads(rows[0][0]) if rows else dict(EMPTY_CATALOG)

    def image(self, sha256: str) -> bytes | None:
        rows = self._read("SELECT data FROM images WHERE sha256 = ?", (sha256,))
        return rows[0][0] if rows else None
