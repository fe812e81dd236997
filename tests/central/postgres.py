"""A throwaway PostgreSQL cluster for the test session: initdb + pg_ctl as the ``postgres``
user (the suite runs as root, which PostgreSQL refuses), in pytest's temporary directory,
listening only on a Unix socket there. Stopped at the end of the session."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote


def _bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for base in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (base / name).exists():
            return str(base / name)
    raise RuntimeError(f"{name} not found: install Debian's postgresql (./dev test does)")


def _as_postgres(argv: list[str]) -> list[str]:
    return argv if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--", *argv]


@dataclass
class Cluster:
    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@{quote(str(self.root), safe='')}/{database}"

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            # The server runs as postgres: it needs its directory, and to pass through the
            # ones above it (traverse only, no listing).
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            for parent in [p for p in self.root.parents if str(p).startswith("/tmp/")]:
                parent.chmod(parent.stat().st_mode | 0o001)
        subprocess.run(_as_postgres([_bin("initdb"), "-D", str(self.data), "-U", "postgres",
                                     "-A", "trust", "--no-sync", "-E", "UTF8"]),
                       check=True, capture_output=True, timeout=120)
        # No TCP at all; fsync off: a test cluster never outlives a crash.
        options = f"-c listen_addresses='' -k {self.root} -c fsync=off -c max_connections=60"
        started = subprocess.run(
            _as_postgres([_bin("pg_ctl"), "-D", str(self.data), "-o", options,
                          "-l", str(self.root / "server.log"), "-w", "start"]),
            capture_output=True, text=True, timeout=120)
        if started.returncode:
            log = self.root / "server.log"
            raise RuntimeError(f"pg_ctl start failed: {started.stdout}{started.stderr}"
                               f"{log.read_text() if log.exists() else ''}")

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database (a copy of ``template`` when given); its URL."""
        import psycopg

        copy = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"{copy}')
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(_as_postgres([_bin("pg_ctl"), "-D", str(self.data), "-m", "fast",
                                     "-w", "stop"]), capture_output=True, timeout=60)
