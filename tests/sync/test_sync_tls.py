"""TLS rules, against the central service served over HTTPS by its gunicorn on 127.0.0.1 with
a certificate made for the test by openssl: verification is always on, and a CA bundle in the
configuration pins the server's CA."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from central.testing.process import Running, start
from kiosk.core.ledger import Ledger
from kiosk.sync.client import ApiClient, Transient
from kiosk.sync.enroll import enroll
from kiosk.sync.service import SyncService, make_client
from tests.sync.conftest import ENROLL_CODE, FAST
from tests.sync.helpers import DEVICE_ID, add_donations, open_ledger, write_config


def make_cert(directory: Path, name: str) -> tuple[Path, Path]:
    key, cert = directory / f"{name}.key", directory / f"{name}.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={name}", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return key, cert


@pytest.fixture
def tls_central(tmp_path: Path) -> Iterator[tuple[Running, Path]]:
    key, cert = make_cert(tmp_path, "central")
    running = start(tmp_path / "central.db", enroll_codes=(ENROLL_CODE,), device_id=DEVICE_ID,
                    tls=(cert, key))
    yield running, cert
    running.stop()


def https_url(server: Running) -> str:
    assert server.url.startswith("https://127.0.0.1:")
    return server.url


def test_pinned_ca_bundle_enrolls_and_syncs(tmp_path: Path, tls_central: Any) -> None:
    server, cert = tls_central
    cfg = write_config(tmp_path, https_url(server), ca_bundle=str(cert))
    ledger: Ledger = open_ledger(cfg)
    client = make_client(cfg, None)
    enroll(cfg, ledger, ENROLL_CODE, client)
    client.close()
    add_donations(ledger, 15)
    service = SyncService(cfg, ledger, timing=FAST)
    assert service.run_once() == 0
    assert len(server.store.donations(cfg.device.id)) == 15
    ledger.close()


def test_unknown_ca_is_refused(tmp_path: Path, tls_central: Any) -> None:
    server, _ = tls_central
    client = ApiClient(https_url(server), None)  # the system's CAs: the test CA is not one
    with pytest.raises(Transient, match="TLS verification"):
        client.call("POST", "v1/enroll", auth=False, body={"code": "x", "device_id": "d"})
    assert client.session.verify is True


def test_a_different_pinned_ca_is_refused(tmp_path: Path, tls_central: Any) -> None:
    server, _ = tls_central
    _, other = make_cert(tmp_path, "someone-else")
    client = ApiClient(https_url(server), "token", ca_bundle=str(other))
    with pytest.raises(Transient, match="TLS verification"):
        client.call("GET", "v1/devices/d/catalog")
    assert server.store.device_for_token("token") is None
