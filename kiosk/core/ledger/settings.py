"""Owner settings (JSON values by key) and the per-service status rows.

A value is whatever JSON the ledger holds (hence Any): each caller checks the shape it expects."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from kiosk.core import db as dbmod
from kiosk.core.ledger.audit_log import write_audit
from kiosk.core.ledger.part import LedgerPart
from kiosk.core.ledger.records import AuditEntry, SettingChange, utc_now


def read_setting(conn: sqlite3.Connection, key: str, default: Any = None) -> Any:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else default


def write_setting(conn: sqlite3.Connection, key: str, value: Any) -> None:
    """Set one setting inside the caller's open write transaction."""
    conn.execute("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)"
                 " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
                 " updated_at = excluded.updated_at",
                 (key, json.dumps(value), utc_now()))


def bump_setting(conn: sqlite3.Connection, key: str) -> int:
    """Add one to an integer setting inside the caller's write transaction; the new value."""
    number = int(read_setting(conn, key, 0) or 0) + 1
    write_setting(conn, key, number)
    return number


class Settings(LedgerPart):
    def get_setting(self, key: str, default: Any = None) -> Any:
        return read_setting(self.db.conn, key, default)

    def set_setting(self, key: str, value: Any, *, audit: AuditEntry | None = None) -> None:
        """Store a setting, with its audit row in the same transaction when one is given."""
        with dbmod.immediate(self.db) as conn:
            write_setting(conn, key, value)
            if audit:
                write_audit(conn, audit.actor, audit.action, **audit.detail)

    def update_setting(self, key: str, update: Callable[[Any], SettingChange],
                       default: Any = None) -> Any:
        """Read ``key``, let ``update`` decide from its value, and store what it decided (and
        its audit row), all inside one write lock; returns the value now in force."""
        with dbmod.immediate(self.db) as conn:
            change = update(read_setting(conn, key, default))
            if change.write:
                write_setting(conn, key, change.value)
            if change.audit:
                write_audit(conn, change.audit.actor, change.audit.action, **change.audit.detail)
        return change.value

    # -- service status ---------------------------------------------------------------------

    def set_service_status(self, service: str, status: dict[str, Any]) -> None:
        with dbmod.immediate(self.db) as conn:
            conn.execute("INSERT INTO service_status (service, status, updated_at)"
                         " VALUES (?, ?, ?) ON CONFLICT (service) DO UPDATE SET"
                         " status = excluded.status, updated_at = excluded.updated_at",
                         (service, json.dumps(status), utc_now()))

    def service_status(self) -> dict[str, dict[str, Any]]:
        return {service: {**json.loads(status), "updated_at": updated}
                for service, status, updated in self.db.conn.execute(
                    "SELECT service, status, updated_at FROM service_status")}
