"""The OpenAPI document, checked against the central service and against the client: every
request the client sends and every answer the server gives in a full round is validated with
jsonschema built from the document."""

from __future__ import annotations

import re
from pathlib import Path

import requests
from openapi_spec_validator import validate as validate_spec

from central.catalog import demo as demo_catalog
from central.testing.process import ADMIN_HEADER, Running
from kiosk.sync.token_file import read_token
from tests.sync.conftest import ENROLL_CODE, Kiosk
from tests.sync.helpers import DEVICE_ID, add_donations, assert_invariant
from tests.sync.openapi_check import check_exchange, document, operation


def test_document_is_valid_openapi() -> None:
    validate_spec(document())


# The device routes the service's URL configuration names (central/urls.py), besides the
# back office.
SERVED = {"enroll", "batch", "catalog", "featured", "heartbeat", "image", "receipt"}


def test_every_server_route_is_documented_and_every_documented_path_served(
        central: Running) -> None:
    """Each documented path is sent to the running service, which records the name of the
    route it resolved it to ("other": no route)."""
    documented = {}
    for template, item in document()["paths"].items():
        for method in item:
            concrete = re.sub(r"\{sha256\}", "a" * 64, template)
            concrete = re.sub(r"\{donation_id\}", "0" * 8 + "-0000-4000-8000-" + "0" * 12,
                              concrete)
            concrete = re.sub(r"\{[a-z_]+\}", "dev-1", concrete)
            requests.request(method.upper(), central.url + concrete, timeout=10)
            documented[(method.upper(), concrete)] = template
    resolved = {(e["method"], e["path"]): e["route"] for e in central.server.exchanges}
    for key, template in documented.items():
        assert resolved[key] in SERVED, f"{key[0]} {template} is documented but not served"
    assert set(resolved.values()) == SERVED


def test_a_full_round_conforms_to_the_document(kiosk: Kiosk, tmp_path: Path) -> None:
    central = kiosk.central
    central.store.set_catalog(*demo_catalog.load())
    add_donations(kiosk.ledger, 130)
    kiosk.ledger.set_setting("featured_version", 1)
    kiosk.ledger.db.conn.execute("INSERT INTO featured (position, project_id) VALUES (0, 'x')")
    central.faults.add("status", route="batch", code=429, retry_after=0)
    central.faults.add("status", route="heartbeat", code=503, retry_after=0)
    service = kiosk.service()
    for _ in range(200):
        service.cycle(force=True)
        if service.online and not central.faults.pending():
            break
    service.cycle(force=True)  # a second catalog pull: 304 with the ETag
    assert_invariant(central, kiosk.ledger)
    base = central.url
    token = read_token(Path(kiosk.cfg.api.token_file))
    auth = {"Authorization": f"Bearer {token}"}
    batch = f"{base}/v1/devices/{DEVICE_ID}/donations:batch"
    requests.post(batch, data=b"{not json", headers={**auth, "Content-Type": "application/json"})
    requests.post(batch, json={"donations": [{"id": str(i)} for i in range(101)]}, headers=auth)
    requests.post(batch, json={"donations": []}, headers={"Authorization": "Bearer nope"})
    # A used code gets the very answer of a code never issued (nothing to tell them apart).
    reused = requests.post(f"{base}/v1/enroll", json={"code": ENROLL_CODE, "device_id": "other"})
    never = requests.post(f"{base}/v1/enroll",
                          json={"code": "never-issued", "device_id": "other"})
    assert reused.status_code == never.status_code == 404
    assert reused.json() == never.json() and never.json()["error"]["code"] == "unknown_code"
    requests.get(f"{base}/v1/images/{'0' * 64}", headers=auth)
    exchanges = central.server.exchanges
    seen = {(e["route"], e["status"]) for e in exchanges}
    for expected in [("enroll", 200), ("enroll", 404), ("batch", 200),
                     ("batch", 429), ("batch", 400), ("batch", 413), ("batch", 401),
                     ("catalog", 200), ("catalog", 304), ("image", 200), ("image", 404),
                     ("featured", 204), ("heartbeat", 200), ("heartbeat", 503)]:
        assert expected in seen, f"the round did not exercise {expected}"
    for exchange in exchanges:
        check_exchange(exchange)


def test_the_checker_catches_a_response_outside_the_document() -> None:
    bad = {"method": "POST", "path": f"/v1/devices/{DEVICE_ID}/heartbeat", "status": 200,
           "request": None, "content_type": "application/json", "headers": {},
           "response": {"server_time": "yesterday"}, "fault": None}
    try:
        check_exchange(bad)
    except AssertionError as e:
        assert "server_time" in str(e) or "date-time" in str(e)
    else:
        raise AssertionError("a bad server_time passed the OpenAPI check")
    assert operation("GET", "/r/dev-1/00000000-0000-4000-8000-000000000000")[0] == \
        "/r/{device_id}/{donation_id}"


def test_receipt_page_verifies_the_signature(kiosk: Kiosk) -> None:
    from central.receipts.signing import signature

    key = kiosk.ledger.get_setting("receipt_key")
    donation = "3f2b8c1e-5d4a-4c3b-9a8f-0e1d2c3b4a59"
    sig = signature(key, DEVICE_ID, donation, 500, "EUR", "jardin-capucins")
    url = f"{kiosk.central.url}/r/{DEVICE_ID}/{donation}"
    # signature() signs version 2 unless asked, as kiosks do: the URL says v=2.
    ok = requests.get(url, params={"v": 2, "amount": 500, "currency": "EUR",
                                   "project": "jardin-capucins", "sig": sig})
    assert ok.status_code == 200 and "Reçu valide" in ok.text
    tampered = requests.get(url, params={"v": 2, "amount": 5000, "currency": "EUR",
                                         "project": "jardin-capucins", "sig": sig})
    assert tampered.status_code == 400 and "non valide" in tampered.text
    for ex in kiosk.central.server.exchanges:
        if ex["route"] == "receipt":
            check_exchange(ex)


def test_the_screens_qr_url_verifies_on_the_server_end_to_end(kiosk: Kiosk) -> None:
    """The key from enrollment, the URL the thank-you screen encodes, the page it opens."""
    from kiosk.core import receipt as screen_receipt
    from tests.sync.helpers import add_donations

    donation_id = add_donations(kiosk.ledger, 1)[0]
    d = kiosk.ledger.get(donation_id)
    kiosk.service().run_once()
    url = screen_receipt.receipt_url(kiosk.cfg.receipt_base_url,
                                     kiosk.ledger.get_setting("receipt_key"), DEVICE_ID,
                                     d.id, d.amount_cents, d.currency, d.project_id)
    page = requests.get(url)
    assert page.status_code == 200 and "Reçu valide" in page.text
    assert ("confirmé dès que" in page.text) == (d.state != "approved")
    forged = screen_receipt.receipt_url(kiosk.cfg.receipt_base_url, "cd" * 32, DEVICE_ID,
                                        d.id, d.amount_cents, d.currency, d.project_id)
    assert requests.get(forged).status_code == 400


def test_a_token_only_works_for_its_own_device(kiosk: Kiosk) -> None:
    token = read_token(Path(kiosk.cfg.api.token_file))
    answer = requests.post(f"{kiosk.central.url}/v1/devices/someone-else/donations:batch",
                           json={"donations": []}, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "wrong_device"


def test_administration_needs_the_admin_token(central: Running) -> None:
    """Being on the same machine is not enough (a proxy in front would make every client
    local): the test administration routes need the token the service was started with."""
    token = central.admin.session.headers[ADMIN_HEADER]
    route = f"{central.url}/admin/faults"
    for headers in ({}, {ADMIN_HEADER: "not-the-token"}):
        refused = requests.get(route, headers=headers, timeout=10)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert requests.get(route, headers={ADMIN_HEADER: token}, timeout=10).status_code == 200
