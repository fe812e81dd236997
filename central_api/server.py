"""The reference central API over ``http.server`` (threads, HTTP/1.1 keep-alive).

Tests and the demo start it with :func:`start` (in a thread, still talking real HTTP) or
``python -m central_api``. Faults are switched through :attr:`CentralApiServer.faults` or the
loopback-only ``/admin/faults`` endpoint.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from central_api import OPENAPI_PATH, receipt, validate
from central_api.admin import AdminRoutes
from central_api.faults import Fault, Faults
from central_api.replies import JSON_TYPE, Reply, error_reply, json_reply
from central_api.store import EnrollError, Store, now_rfc3339

MAX_REQUEST_BYTES = 1 << 20


_DEVICE = r"(?P<device_id>[A-Za-z0-9][A-Za-z0-9._-]{0,63})"
ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"/v1/enroll"), "enroll"),
    ("POST", re.compile(rf"/v1/devices/{_DEVICE}/donations:batch"), "batch"),
    ("GET", re.compile(rf"/v1/devices/{_DEVICE}/catalog"), "catalog"),
    ("PUT", re.compile(rf"/v1/devices/{_DEVICE}/featured"), "featured"),
    ("POST", re.compile(rf"/v1/devices/{_DEVICE}/heartbeat"), "heartbeat"),
    ("GET", re.compile(r"/v1/images/(?P<sha256>[0-9a-f]{64})"), "image"),
    ("GET", re.compile(rf"/r/{_DEVICE}/(?P<donation_id>[0-9a-f-]{{36}})"), "receipt"),
    ("GET", re.compile(r"/openapi.yaml"), "openapi"),
    ("POST", re.compile(r"/admin/faults"), "admin_add_fault"),
    ("DELETE", re.compile(r"/admin/faults"), "admin_clear_faults"),
    ("POST", re.compile(r"/admin/enroll-codes"), "admin_add_code"),
    ("POST", re.compile(rf"/admin/devices/{_DEVICE}/revoke"), "admin_revoke"),
    ("GET", re.compile(rf"/admin/devices/{_DEVICE}/donations"), "admin_donations"),
]


class CentralApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], store: Store, *, record: bool = False):
        super().__init__(address, ApiHandler)
        self.store = store
        self.faults = Faults()
        self.record = record
        self.exchanges: list[dict[str, Any]] = []  # with record=True: every request/answer

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a reset connection is expected with the reset_* faults


class ApiHandler(AdminRoutes, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: CentralApiServer
    server_version = "central-api-reference"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without NODELAY, Nagle's algorithm and
        # the peer's delayed ACK add 40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def finish(self) -> None:
        try:
            super().finish()
        except (OSError, ValueError):
            pass  # the connection was reset on purpose

    # -- plumbing --------------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        self.query = parse_qs(parts.query)
        name, params = self._match(method, parts.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            self.close_connection = True
            self._send(error_reply(413, "too_large", f"body over {MAX_REQUEST_BYTES} bytes"))
            return
        self.raw_body = self.rfile.read(length) if length else b""
        if name is None:
            self._send(error_reply(404, "not_found", f"no route for {method} {parts.path}"))
            return
        refusal = self.admin_refusal() if name.startswith("admin_") else None
        if refusal:
            self._send(refusal)
            return
        fault = None if name.startswith("admin_") else self.server.faults.take(
            name if name in ("batch", "catalog", "image", "featured", "heartbeat", "enroll")
            else "other")
        if fault and fault.kind == "status":
            headers = {}
            if "retry_after" in fault.params:
                headers["Retry-After"] = str(fault.params["retry_after"])
            self._send(error_reply(int(fault.params.get("code", 500)), "fault",
                                   "injected fault", **headers), name)
            return
        if fault and fault.kind == "slow":
            time.sleep(float(fault.params.get("delay", 1)))
        if fault and fault.kind == "reset_before":
            self._reset()
            return
        if fault and fault.kind == "reject" and name == "batch":
            reply = self._reject_all(bool(fault.params.get("retryable", False)))
        else:
            reply = getattr(self, f"route_{name}")(**params)
        if fault:
            reply = self._after(fault, reply)
            if reply is None:
                return
        self._send(reply, name, fault)

    def _match(self, method: str, path: str) -> tuple[str | None, dict[str, str]]:
        for route_method, pattern, name in ROUTES:
            m = pattern.fullmatch(path)
            if m and route_method == method:
                return name, m.groupdict()
        return None, {}

    def _after(self, fault: Fault, reply: Reply) -> Reply | None:
        if fault.kind == "reset_after":
            self._reset()
            return None
        if fault.kind == "malformed_json":
            return Reply(200, b'{"results": [{"id": ', JSON_TYPE)
        if fault.kind == "wrong_content_type":
            return Reply(200, b"<html><body>Portail captif</body></html>", "text/html")
        if fault.kind == "oversized":
            return Reply(200, b" " * int(fault.params.get("size", 8 << 20)) + reply.body,
                         JSON_TYPE)
        if fault.kind == "corrupt_body":
            return Reply(reply.status, bytes(b ^ 0xFF for b in reply.body), reply.content_type,
                         reply.headers)
        return reply

    def _reject_all(self, retryable: bool) -> Reply:
        body = self._json_or_none(self.raw_body) or {}
        ids = [i.get("id") for i in body.get("donations", []) if isinstance(i, dict)]
        return json_reply(200, {"results": [
            {"id": i, "status": "rejected", "error": {"code": "fault", "retryable": retryable}}
            for i in ids], "server_time": now_rfc3339()})

    def _reset(self) -> None:
        # SO_LINGER 0: close() sends a TCP RST, as a crashing proxy or a dropped link would.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _send(self, reply: Reply, name: str | None = None, fault: Fault | None = None) -> None:
        if self.server.record and name and not name.startswith("admin_"):
            self.server.exchanges.append({
                "at": time.monotonic(), "method": self.command, "route": name,
                "path": urlsplit(self.path).path,
                "request": self._json_or_none(self.raw_body), "status": reply.status,
                "content_type": reply.content_type, "response": self._json_or_none(reply.body),
                "headers": dict(reply.headers), "fault": fault.kind if fault else None})
        try:
            self.send_response(reply.status)
            if reply.status != 304:
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.end_headers()
            if fault and fault.kind == "slow_body":
                chunk = int(fault.params.get("chunk", 4096))
                for i in range(0, len(reply.body), chunk):
                    self.wfile.write(reply.body[i:i + chunk])
                    self.wfile.flush()
                    time.sleep(float(fault.params.get("delay", 0.1)))
            elif reply.status not in (204, 304):
                self.wfile.write(reply.body)
        except OSError:
            self.close_connection = True

    @staticmethod
    def _json_or_none(data: bytes) -> Any:
        try:
            return json.loads(data) if data else None
        except ValueError:
            return None

    def _json_body(self) -> Any:
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != JSON_TYPE:
            raise validate.Invalid("Content-Type: expected application/json")
        try:
            return json.loads(self.raw_body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise validate.Invalid(f"body: not valid JSON ({e})") from None

    def _device(self, device_id: str) -> str | Reply:
        """The authenticated device, or the 401/403 answer."""
        auth = self.headers.get("Authorization") or ""
        if not auth.startswith("Bearer "):
            return error_reply(401, "unauthenticated", "a Bearer device token is required")
        found = self.server.store.device_for_token(auth[len("Bearer "):].strip())
        if found is None:
            return error_reply(401, "bad_token", "this device token is not known")
        token_device, revoked = found
        if revoked:
            return error_reply(403, "revoked", "this device token was revoked")
        if token_device != device_id:
            return error_reply(403, "wrong_device", "this token belongs to another device")
        return token_device

    # -- the contract ------------------------------------------------------------------------

    def route_enroll(self) -> Reply:
        try:
            code, device_id = validate.enroll_body(self._json_body())
        except validate.Invalid as e:
            return error_reply(400, "bad_request", str(e))
        try:
            return json_reply(200, self.server.store.enroll(code, device_id))
        except EnrollError as e:
            return error_reply(e.status, e.code, str(e))

    def route_batch(self, device_id: str) -> Reply:
        device = self._device(device_id)
        if isinstance(device, Reply):
            return device
        try:
            items = validate.batch_body(self._json_body())
        except validate.TooLarge as e:
            return error_reply(413, "too_large", str(e))
        except validate.Invalid as e:
            return error_reply(400, "bad_request", str(e))
        ids = [i.get("id") if isinstance(i, dict) else None for i in items]
        results: list[dict[str, Any] | None] = [None] * len(items)
        valid: list[tuple[int, dict[str, Any]]] = []
        for n, item in enumerate(items):
            try:
                valid.append((n, validate.donation_item(item)))
            except validate.Invalid as e:
                results[n] = {"id": str(ids[n]), "status": "rejected",
                              "error": {"code": "invalid_donation", "retryable": False,
                                        "message": str(e)}}
        statuses = self.server.store.ingest(device, [v for _, v in valid])
        for (n, item), status in zip(valid, statuses, strict=True):
            results[n] = {"id": item["id"], "status": status, "error": None}
        return json_reply(200, {"results": results, "server_time": now_rfc3339()})

    def route_catalog(self, device_id: str) -> Reply:
        device = self._device(device_id)
        if isinstance(device, Reply):
            return device
        catalog = self.server.store.catalog()
        body = json.dumps(catalog, ensure_ascii=False, sort_keys=True).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if etag in [t.strip() for t in (self.headers.get("If-None-Match") or "").split(",")]:
            return Reply(304, headers={"ETag": etag})
        return Reply(200, body, JSON_TYPE, {"ETag": etag})

    def route_image(self, sha256: str) -> Reply:
        auth = self.headers.get("Authorization") or ""
        found = self.server.store.device_for_token(auth.removeprefix("Bearer ").strip())
        if found is None:
            return error_reply(401, "bad_token", "a known device token is required")
        if found[1]:
            return error_reply(403, "revoked", "this device token was revoked")
        data = self.server.store.image(sha256)
        if data is None:
            return error_reply(404, "not_found", "no such image")
        return Reply(200, data, "image/jpeg", {"Cache-Control": "max-age=31536000, immutable"})

    def route_featured(self, device_id: str) -> Reply:
        device = self._device(device_id)
        if isinstance(device, Reply):
            return device
        try:
            ids = validate.featured_body(self._json_body())
        except validate.Invalid as e:
            return error_reply(400, "bad_request", str(e))
        self.server.store.set_featured(device, ids)
        return Reply(204)

    def route_heartbeat(self, device_id: str) -> Reply:
        device = self._device(device_id)
        if isinstance(device, Reply):
            return device
        try:
            body = validate.heartbeat_body(self._json_body())
        except validate.Invalid as e:
            return error_reply(400, "bad_request", str(e))
        self.server.store.add_heartbeat(device, body)
        return json_reply(200, {"server_time": now_rfc3339()})

    def route_receipt(self, device_id: str, donation_id: str) -> Reply:
        q = {k: v[0] for k, v in self.query.items()}
        amount, currency = q.get("amount", ""), q.get("currency", "")
        valid = receipt.verify(self.server.store.receipt_key(device_id), device_id, donation_id,
                               amount, currency, q.get("project", ""), q.get("sig", ""))
        stored = self.server.store.donation(device_id, donation_id) if valid else None
        received = bool(stored and stored["state"] == "approved"
                        and str(stored["amount_cents"]) == amount)
        html = receipt.page(valid, amount, currency, received)
        return Reply(200 if valid else 400, html.encode(), "text/html; charset=utf-8")

    def route_openapi(self) -> Reply:
        return Reply(200, OPENAPI_PATH.read_bytes(), "application/yaml")


@dataclass
class Running:
    server: CentralApiServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def store(self) -> Store:
        return self.server.store

    @property
    def faults(self) -> Faults:
        return self.server.faults

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        self.server.store.close()


def start(db: Path | str, *, host: str = "127.0.0.1", port: int = 0,
          enroll_codes: tuple[str, ...] = (), demo_catalog: bool = False,
          record: bool = False) -> Running:
    """Start the server in a background thread (real HTTP on ``host:port``; 0 = any port)."""
    server = make_server(db, host=host, port=port, enroll_codes=enroll_codes,
                         demo_catalog=demo_catalog, record=record)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="central-api", daemon=True)
    thread.start()
    return Running(server, thread)


def make_server(db: Path | str, *, host: str = "127.0.0.1", port: int = 0,
                enroll_codes: tuple[str, ...] = (), demo_catalog: bool = False,
                record: bool = False) -> CentralApiServer:
    store = Store(db)
    for code in enroll_codes:
        store.add_enroll_code(code)
    if demo_catalog:
        from central_api import demo_catalog as demo

        store.set_catalog(*demo.load())
    return CentralApiServer((host, port), store, record=record)
