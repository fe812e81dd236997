"""The service in a process of its own (``central migrate`` + ``central serve``, real HTTP on
127.0.0.1) for the tests: ``url``, ``store``, ``faults``, ``server.exchanges``, ``manage()``,
``stop()`` — all of it through the test administration routes.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ADMIN_HEADER = "X-Central-Admin-Token"
DEFAULT_DEVICE = "cafe-test-01"


class Admin:
    """Calls to the administration routes with the admin token."""

    def __init__(self, url: str, token: str, verify: str | bool = True):
        self.url, self.session = url, requests.Session()
        self.session.headers[ADMIN_HEADER] = token
        self.session.trust_env = False
        self.session.verify = verify

    def call(self, method: str, path: str, ok: tuple[int, ...] = (200, 204),
             **kwargs: Any) -> requests.Response:
        response = self.session.request(method, f"{self.url}{path}", timeout=30, **kwargs)
        if response.status_code not in ok:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response


class Store:
    """The service's devices, codes, donations and catalog, read and written over HTTP."""

    def __init__(self, admin: Admin, default_device: str):
        self.admin, self.default_device = admin, default_device

    def _device(self, device_id: str) -> dict[str, Any] | None:
        r = self.admin.call("GET", f"/admin/devices/{device_id}", ok=(200, 404))
        return r.json() if r.status_code == 200 else None

    def add_enroll_code(self, code: str, device_id: str | None = None) -> None:
        self.admin.call("POST", "/admin/enroll-codes",
                        json={"code": code, "device_id": device_id or self.default_device})

    def new_enroll_code(self, device_id: str, shop: str | None = None) -> str:
        return self.admin.call("POST", "/admin/enroll-codes",
                               json={"device_id": device_id, "shop": shop}).json()["code"]

    def device_for_token(self, token: str) -> tuple[str, bool] | None:
        r = self.admin.call("POST", "/admin/token-owner", ok=(200, 404), json={"token": token})
        return (r.json()["device_id"], r.json()["revoked"]) if r.status_code == 200 else None

    def revoke(self, device_id: str) -> None:
        self.admin.call("POST", f"/admin/devices/{device_id}/revoke")

    def receipt_key(self, device_id: str) -> str | None:
        device = self._device(device_id)
        return device["receipt_keys"][0] if device and device["receipt_keys"] else None

    def ingest(self, device_id: str, items: list[dict[str, Any]]) -> list[str]:
        return self.admin.call("POST", f"/admin/devices/{device_id}/donations",
                               json={"donations": items}).json()["statuses"]

    def donations(self, device_id: str) -> list[dict[str, Any]]:
        return self.admin.call("GET", f"/admin/devices/{device_id}/donations").json()[
            "donations"]

    def donation(self, device_id: str, donation_id: str) -> dict[str, Any] | None:
        return next((d for d in self.donations(device_id) if d["id"] == donation_id), None)

    def featured(self, device_id: str) -> list[str] | None:
        device = self._device(device_id)
        return device["featured"] if device else None

    def heartbeats(self, device_id: str) -> list[dict[str, Any]]:
        device = self._device(device_id)
        return device["heartbeats"] if device else []

    def audit_rows(self, device_id: str) -> list[dict[str, Any]]:
        device = self._device(device_id)
        return device["audit"] if device else []

    def engagement(self, device_id: str) -> dict[tuple[str, str, str], int]:
        """The device's stored engagement counts by (hour, project id, counter)."""
        device = self._device(device_id)
        return {(h, p, c): n for h, p, c, n in device["engagement"]} if device else {}

    def set_catalog(self, catalog: dict[str, Any], images: dict[str, bytes],
                    shop: str | None = None) -> None:
        self.admin.call("PUT", "/admin/catalog", json={
            "catalog": catalog, "shop": shop,
            "images": {sha: base64.b64encode(data).decode() for sha, data in images.items()}})


class Faults:
    """Switchable faults over HTTP (they live in the service's database, shared by workers)."""

    def __init__(self, admin: Admin):
        self.admin = admin

    def add(self, kind: str, route: str = "any", times: int | None = 1, **params: Any) -> None:
        self.add_json({"kind": kind, "route": route, "times": times, **params})

    def add_json(self, doc: Any) -> None:
        r = self.admin.call("POST", "/admin/faults", ok=(204, 400), json=doc)
        if r.status_code == 400:
            raise ValueError(r.json()["error"]["message"])

    def clear(self) -> None:
        self.admin.call("DELETE", "/admin/faults")

    def pending(self) -> int:
        return self.admin.call("GET", "/admin/faults").json()["pending"]

    @property
    def fired(self) -> list[tuple[str, str]]:
        return [tuple(f) for f in self.admin.call("GET", "/admin/faults").json()["fired"]]


@dataclass
class Server:
    admin: Admin
    server_address: tuple[str, int]

    @property
    def exchanges(self) -> list[dict[str, Any]]:
        return self.admin.call("GET", "/admin/exchanges").json()["exchanges"]


@dataclass
class Running:
    url: str
    process: subprocess.Popen
    admin: Admin
    store: Store
    faults: Faults
    server: Server
    env: dict[str, str] = field(repr=False)
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            # SIGINT is gunicorn's quick shutdown: a test's service has no request to finish,
            # and SIGTERM's graceful stop waited ~2 s on idle keep-alive connections.
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.admin.session.close()

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        """Run a ``central`` command against the same database."""
        return subprocess.run([sys.executable, "-m", "central", *args], env=self.env,
                              capture_output=True, text=True, timeout=120)


def _env(db: Path, database_url: str | None, admin_token: str,
         extra: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "central.settings.test",
                "DATABASE_URL": database_url or f"sqlite:///{Path(db).resolve()}",
                "CENTRAL_TEST_ADMIN_TOKEN": admin_token, "PYTHONUNBUFFERED": "1"})
    env.update(extra or {})
    return env


def start(db: Path | str, *, host: str = "127.0.0.1", port: int = 0,
          enroll_codes: tuple[str, ...] = (), demo_catalog: bool = False, record: bool = True,
          database_url: str | None = None, device_id: str = DEFAULT_DEVICE,
          env: dict[str, str] | None = None, workers: int = 2,
          tls: tuple[Path, Path] | None = None, template: Path | None = None,
          migrated: bool = False) -> Running:
    """Migrate the database (SQLite file ``db`` unless ``database_url``), start gunicorn on
    ``host:port`` (0: any free port) and wait until it answers. ``enroll_codes`` are for
    ``device_id``. ``tls``: (certificate, key) for gunicorn to serve HTTPS with; the
    certificate is also the CA the administration calls trust. ``template``: a SQLite file
    migrated once (made on first use) and copied for a new ``db``, which saves a migration
    per test; ``migrated``: the database is already migrated (copied from a template by the
    caller). (``record`` is accepted for compatibility: the test settings record.)"""
    db = Path(db)
    token = secrets.token_urlsafe(24)
    if tls:  # gunicorn reads extra options from GUNICORN_CMD_ARGS; `central serve` passes it
        env = {**(env or {}), "GUNICORN_CMD_ARGS": f"--certfile {tls[0]} --keyfile {tls[1]}"}
    full_env = _env(db, database_url, token, env)
    if template is not None and database_url is None and not db.exists():
        if not template.exists():
            _migrate(_env(template, None, token, env))
        for suffix in ("", "-wal"):  # a WAL left not yet checkpointed holds migrations too
            if Path(f"{template}{suffix}").exists():
                shutil.copyfile(f"{template}{suffix}", f"{db}{suffix}")
    elif not migrated:
        _migrate(full_env)
    log = db.with_name(db.name + ".serve.log")
    # The log is appended to by every start on this database: read only this start's lines.
    offset = log.stat().st_size if log.exists() else 0
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "central", "serve", "--bind", f"{host}:{port}",
             "--workers", str(workers)], env=full_env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    url = _wait_listening(proc, log, offset)
    admin = Admin(url, token, verify=str(tls[0]) if tls else True)
    deadline = time.monotonic() + 60
    while True:  # the workers have booted once the app answers
        try:
            admin.call("GET", "/admin/faults")
            break
        except (requests.ConnectionError, RuntimeError):
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"central serve did not come up:\n{log.read_text()}") from None
            time.sleep(0.05)
    running = Running(url, proc, admin, Store(admin, device_id), Faults(admin),
                      Server(admin, (host, int(url.rsplit(":", 1)[1]))), full_env, log)
    for code in enroll_codes:
        running.store.add_enroll_code(code, device_id)
    if demo_catalog:
        running.store.set_catalog(*load_demo_catalog())
    return running


def migrate_database(database_url: str) -> None:
    """Migrate the database at ``database_url`` (e.g. a template that tests copy)."""
    _migrate(_env(Path("."), database_url, "", None))


def _migrate(env: dict[str, str]) -> None:
    migrate = subprocess.run([sys.executable, "-m", "central", "migrate", "-v0"],
                             env=env, capture_output=True, text=True, timeout=300)
    if migrate.returncode:
        raise RuntimeError(f"central migrate failed:\n{migrate.stdout}{migrate.stderr}")


def _wait_listening(proc: subprocess.Popen, log: Path, offset: int) -> str:
    deadline = time.monotonic() + 60
    pattern = re.compile(rb"Listening at: (https?://[^\s]+) \(")
    while time.monotonic() < deadline:
        found = pattern.search(log.read_bytes()[offset:])
        if found:
            return found.group(1).decode()
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"central serve did not start:\n{log.read_text()}")


def load_demo_catalog() -> tuple[dict[str, Any], dict[str, bytes]]:
    """The bundled demo catalog (assets/demo-catalog) and its images by sha256."""
    from central.catalog.demo import load

    return load()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
