"""The database from ``DATABASE_URL`` (a SQLite file in the working directory by default)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url

# SQLite as the kiosk ledger runs it: WAL, synchronous=FULL (in WAL mode NORMAL can lose a
# committed transaction on power loss), a busy timeout, and every transaction BEGIN IMMEDIATE
# so a batch takes the write lock up front instead of failing to upgrade a read lock.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                     " PRAGMA busy_timeout=20000; PRAGMA foreign_keys=ON"),
}


def database_from_env(default_file: str = "central.sqlite3") -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path.cwd() / default_file}"
    config = dj_database_url.parse(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
    # Persistent connections with a health check: gunicorn's threads reuse theirs instead of
    # connecting for every request (on SQLite: opening the file and running the pragmas
    # above each time; durability is the same, synchronous=FULL holds per connection).
    config["CONN_MAX_AGE"] = int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))
    config["CONN_HEALTH_CHECKS"] = True
    return config
