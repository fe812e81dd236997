"""The central service under test: one real process per database backend (SQLite file,
PostgreSQL in a throwaway cluster), real HTTP on 127.0.0.1, every device API exchange
checked against central_api/openapi.yaml."""

from __future__ import annotations

import itertools
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from central.testing.process import Running, migrate_database, start
from tests.central.postgres import Cluster
from tests.sync.openapi_check import check_exchange

BACKENDS = ["sqlite", "postgresql"]
_names = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    # Not under pytest's base directory: every pytest session of the same user puts
    # /tmp/pytest-of-<user> back to 0700, which locks the postgres user out of a cluster
    # another session is running there.
    root = Path(tempfile.mkdtemp(prefix="central-pg-"))
    cluster = Cluster(root)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Templates:
    """One migrated database per backend for the session (made on first use), copied for
    each test: a migration costs seconds of CPU, a copy a few milliseconds. A SQLite file is
    copied; a PostgreSQL database is created from the template (CREATE DATABASE ... TEMPLATE),
    in this session's own cluster."""

    root: Path
    request: pytest.FixtureRequest
    _sqlite: Path | None = None
    _postgres: str | None = None

    def sqlite(self) -> Path:
        if self._sqlite is None:
            path = self.root / "template.sqlite3"
            migrate_database(f"sqlite:///{path}")
            self._sqlite = path
        return self._sqlite

    def postgres(self) -> str:
        if self._postgres is None:
            cluster: Cluster = self.request.getfixturevalue("pg_cluster")
            migrate_database(cluster.create_database("central_template"))
            self._postgres = "central_template"
        return self._postgres

    def copy(self, backend: str, path: Path | None = None, name: str | None = None) -> str:
        """A migrated database of its own: a SQLite file at ``path``, or a PostgreSQL
        database named ``name`` (default: a new name); its URL."""
        if backend == "sqlite":
            assert path is not None
            shutil.copyfile(self.sqlite(), path)
            return f"sqlite:///{path}"
        cluster = self.request.getfixturevalue("pg_cluster")
        name = name or f"central_{next(_names)}"
        return cluster.create_database(name, template=self.postgres())


@pytest.fixture(scope="session")
def central_templates(request: pytest.FixtureRequest,
                      tmp_path_factory: pytest.TempPathFactory) -> Templates:
    return Templates(tmp_path_factory.mktemp("central-templates"), request)


def database_url(backend: str, request: pytest.FixtureRequest, workdir: Path) -> str:
    """A migrated database of the test's own on ``backend`` (SQLite: in ``workdir``)."""
    templates: Templates = request.getfixturevalue("central_templates")
    return templates.copy(backend, workdir / "central.sqlite3")


def start_service(backend: str, request: pytest.FixtureRequest, workdir: Path,
                  **kwargs: Any) -> Running:
    url = database_url(backend, request, workdir)
    return start(workdir / "central.sqlite3", database_url=url, migrated=True, **kwargs)


@pytest.fixture(scope="session", params=BACKENDS)
def service(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """One service process per backend for the session (tests use their own device ids)."""
    running = start_service(request.param, request, tmp_path_factory.mktemp(request.param))
    yield running
    running.stop()


@dataclass
class Api:
    """A device's view of the service: plain requests, as kiosk-sync sends them."""

    service: Running
    session: requests.Session

    @property
    def url(self) -> str:
        return self.service.url

    def call(self, method: str, path: str, token: str | None = None,
             **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.session.request(method, f"{self.url}{path}", headers=headers, timeout=30,
                                    **kwargs)

    def enroll(self, device_id: str | None = None, shop: str | None = None) -> Device:
        device_id = device_id or f"kiosk-{uuid.uuid4().hex[:12]}"
        code = self.service.store.new_enroll_code(device_id, shop)
        r = self.call("POST", "/v1/enroll", json={"code": code, "device_id": device_id})
        assert r.status_code == 200, r.text
        return Device(device_id, r.json()["token"], r.json()["receipt_key"])


@dataclass
class Device:
    device_id: str
    token: str
    receipt_key: str


@pytest.fixture
def api(service: Running) -> Iterator[Api]:
    """The service with its recorded exchanges cleared; at the end every device API exchange
    of the test is checked against the OpenAPI document."""
    service.admin.call("DELETE", "/admin/exchanges")
    service.faults.clear()
    session = requests.Session()
    session.trust_env = False
    yield Api(service, session)
    session.close()
    exchanges = service.server.exchanges
    for ex in exchanges:
        check_exchange(ex)
