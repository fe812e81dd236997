from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from central.testing.process import Running, start
from kiosk.core.config import Config
from kiosk.core.ledger import Ledger
from kiosk.sync.client import ApiClient
from kiosk.sync.enroll import enroll
from kiosk.sync.service import SyncService, Timing, make_client
from tests.sync.helpers import DEVICE_ID, open_ledger, served_catalog, write_config

ENROLL_CODE = "CODE-TEST-1"
FAST = Timing(poll_s=0.02, backoff_base_s=0.01, backoff_cap_s=0.2)


@pytest.fixture(scope="session")
def central_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated database for the session, copied for each test's service."""
    return tmp_path_factory.mktemp("central-template") / "central.db"


@pytest.fixture
def central(tmp_path: Path, central_template: Path) -> Iterator[Running]:
    """The central service on 127.0.0.1 (``central serve`` in a process of its own, real
    HTTP, SQLite), with ``ENROLL_CODE`` issued for the test kiosk's device id."""
    server = start(tmp_path / "central.db", enroll_codes=(ENROLL_CODE,), record=True,
                   device_id=DEVICE_ID, template=central_template)
    yield server
    server.stop()


@dataclass
class Kiosk:
    cfg: Config
    ledger: Ledger
    central: Running

    def service(self, timing: Timing = FAST) -> SyncService:
        return SyncService(self.cfg, self.ledger, timing=timing)

    def client(self) -> ApiClient:
        from kiosk.sync.token_file import read_token

        return make_client(self.cfg, read_token(Path(self.cfg.api.token_file)))

    def served_catalog(self) -> dict[str, object]:
        return served_catalog(self.central, Path(self.cfg.api.token_file))


def make_kiosk(tmp_path: Path, central: Running, enrolled: bool = True,
               base_url: str | None = None, **api: object) -> Kiosk:
    """``base_url``: another address in front of ``central`` (a proxy), if not its own."""
    cfg = write_config(tmp_path, base_url or central.url, **api)
    ledger = open_ledger(cfg)
    if enrolled:
        client = make_client(cfg, None)
        enroll(cfg, ledger, ENROLL_CODE, client)
        client.close()
    return Kiosk(cfg, ledger, central)


@pytest.fixture
def kiosk(tmp_path: Path, central: Running) -> Iterator[Kiosk]:
    k = make_kiosk(tmp_path, central)
    yield k
    k.ledger.close()
