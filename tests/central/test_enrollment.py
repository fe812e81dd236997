"""Enrollment done right: codes for one device from ``central enroll-code``, single-use,
expiring, one answer for every refused code, throttled per client address in the database,
re-enrollment only after ``central revoke`` (new token, new receipt key, old receipts still
valid), and request bodies capped whatever Content-Length says (raw sockets)."""

from __future__ import annotations

import socket

import pytest

from kiosk.core.receipt import receipt_url
from tests.central.conftest import Api, start_service
from tests.central.helpers import donation

ENROLL = "/v1/enroll"


def new_code(api: Api, device_id: str, *extra: str) -> str:
    done = api.service.manage("enroll-code", "--device", device_id, *extra)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_codes_are_single_use_per_device_and_refused_alike(api: Api) -> None:
    code = new_code(api, "kiosk-enroll-1")
    assert len(code) >= 32 and code != new_code(api, "kiosk-enroll-2")
    # Another device cannot use it; the refusal is the same as for an unknown code.
    refused = [api.call("POST", ENROLL, json={"code": code, "device_id": "kiosk-enroll-2"}),
               api.call("POST", ENROLL, json={"code": "NOPE-" + code[5:],
                                              "device_id": "kiosk-enroll-1"})]
    ok = api.call("POST", ENROLL, json={"code": code, "device_id": "kiosk-enroll-1"})
    assert ok.status_code == 200 and len(ok.json()["token"]) >= 32
    refused.append(api.call("POST", ENROLL, json={"code": code, "device_id": "kiosk-enroll-1"}))
    # An expired code (moved into the past with the ORM, as time would).
    expired = new_code(api, "kiosk-enroll-3", "--expires-days", "1")
    shell = api.service.manage("shell", "-c", (
        "from central.devices.models import EnrollmentCode as E;"
        "from django.utils import timezone as t;"
        "E.objects.filter(device__device_id='kiosk-enroll-3').update("
        "expires_at=t.now() - t.timedelta(seconds=1))"))
    assert shell.returncode == 0, shell.stderr
    refused.append(api.call("POST", ENROLL, json={"code": expired,
                                                  "device_id": "kiosk-enroll-3"}))
    assert {(r.status_code, r.content) for r in refused} == {(refused[0].status_code,
                                                              refused[0].content)}
    assert refused[0].status_code == 404


def test_reenrolling_needs_revoke_and_issues_new_token_and_receipt_key(api: Api) -> None:
    device = api.enroll("kiosk-reenroll")
    again = api.service.manage("enroll-code", "--device", device.device_id)
    assert again.returncode != 0 and "revoke" in again.stderr
    d = donation(1, "p1", 300)
    old_receipt = receipt_url(api.url, device.receipt_key, device.device_id, d["id"], 300, "EUR",
                              "p1")
    assert api.service.manage("revoke", "--device", device.device_id).returncode == 0
    path = f"/v1/devices/{device.device_id}/donations:batch"
    assert api.call("POST", path, device.token, json={"donations": []}).status_code == 403
    code = new_code(api, device.device_id)
    r = api.call("POST", ENROLL, json={"code": code, "device_id": device.device_id})
    assert r.status_code == 200
    assert r.json()["token"] != device.token and r.json()["receipt_key"] != device.receipt_key
    # The old token is gone altogether now (unknown: 401).
    assert api.call("POST", path, device.token, json={"donations": []}).status_code == 401
    assert api.call("POST", path, r.json()["token"], json={"donations": []}).status_code == 200
    # A QR code printed before stays valid; the new key signs from now on.
    assert api.session.get(old_receipt).status_code == 200
    new_receipt = receipt_url(api.url, r.json()["receipt_key"], device.device_id, d["id"], 300,
                              "EUR", "p1")
    assert api.session.get(new_receipt).status_code == 200


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_failed_enrollments_are_throttled_per_address_across_workers(
        backend: str, request: pytest.FixtureRequest, tmp_path) -> None:
    service = start_service(backend, request, tmp_path, workers=2,
                            env={"CENTRAL_ENROLL_FAILURES": "3"})
    try:
        import requests

        code = service.store.new_enroll_code("kiosk-throttled")
        answers = [requests.post(f"{service.url}{ENROLL}", timeout=10,
                                 json={"code": f"guess-{n}", "device_id": "kiosk-throttled"})
                   for n in range(5)]
        assert [a.status_code for a in answers] == [404, 404, 404, 429, 429]
        assert int(answers[3].headers["Retry-After"]) > 0
        # Even the right code waits: the counter is the client's, not the code's.
        right = requests.post(f"{service.url}{ENROLL}", timeout=10,
                              json={"code": code, "device_id": "kiosk-throttled"})
        assert right.status_code == 429
    finally:
        service.stop()


def raw(api: Api, head: bytes, body: bytes = b"") -> bytes:
    host, port = api.service.server.server_address
    chunks = []
    with socket.create_connection((host, port), timeout=10) as s:
        try:
            s.sendall(head + b"\r\n" + body)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server answered and closed before taking it all: read its answer
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
    return b"".join(chunks)


@pytest.mark.parametrize("length", [None, b"-5", b"abc", b"99999999999"])
def test_bodies_are_capped_whatever_content_length_says(api: Api, length: bytes | None) -> None:
    device = api.enroll()
    head = (f"POST /v1/devices/{device.device_id}/donations:batch HTTP/1.1\r\n"
            f"Host: 127.0.0.1\r\nAuthorization: Bearer {device.token}\r\n"
            "Content-Type: application/json\r\nConnection: close\r\n").encode()
    if length is not None:
        head += b"Content-Length: " + length + b"\r\n"
    # Two megabytes sent whatever is declared: none of it may be read as the body.
    answer = raw(api, head, b'{"donations": [' + b" " * (2 << 20))
    status = int(answer.split(b" ", 2)[1])
    expected = {None: 400, b"-5": 400, b"abc": 400, b"99999999999": 413}[length]
    assert status == expected, answer[:300]
    assert api.service.store.donations(device.device_id) == []
