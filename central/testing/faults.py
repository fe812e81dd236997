"""Switchable faults, for tests and demos of a bad network or a struggling server.

A fault applies to one route (``batch``, ``catalog``, ``image``, ``featured``, ``heartbeat``,
``enroll`` or ``any``) for ``times`` requests (None: until cleared). Kinds: ``status``
(``code``, optional ``retry_after``), ``slow`` (``delay``), ``reset_before``, ``reset_after``
(the batch is committed, then the connection reset), ``malformed_json``,
``wrong_content_type``, ``oversized`` (``size``), ``reject`` (every batch item rejected,
``retryable``), ``slow_body`` (``chunk``, ``delay``), ``corrupt_body``. A revoked token is the
``/admin/devices/{id}/revoke`` route.
"""

from __future__ import annotations

import json
import socket
import struct
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import Resolver404, resolve

from central.common.http import JSON_TYPE, json_response, now_rfc3339
from central.testing.models import Exchange, Fault, FiredFault

KINDS = ("status", "slow", "reset_before", "reset_after", "malformed_json",
         "wrong_content_type", "oversized", "reject", "slow_body", "corrupt_body")
ROUTES = ("batch", "catalog", "image", "featured", "heartbeat", "enroll", "any")
ANSWER_FAULTS = ("malformed_json", "wrong_content_type", "oversized", "corrupt_body")


def parse_fault(doc: Any) -> Fault:
    if not isinstance(doc, dict) or doc.get("kind") not in KINDS:
        raise ValueError(f"kind: expected one of {', '.join(KINDS)}")
    route = doc.get("route", "any")
    if route not in ROUTES:
        raise ValueError(f"route: expected one of {', '.join(ROUTES)}")
    times = doc.get("times", 1)
    if times is not None and (type(times) is not int or times < 1):
        raise ValueError("times: expected a whole number >= 1 or null")
    params = {k: v for k, v in doc.items() if k not in ("kind", "route", "times")}
    return Fault(kind=doc["kind"], route=route, times=times, params=params)


def take(route: str) -> Fault | None:
    """The first active fault for ``route``, counted down (one transaction: two workers never
    take the last use of a fault twice)."""
    with transaction.atomic():
        fault = (Fault.objects.select_for_update()
                 .filter(route__in=(route, "any")).order_by("pk").first())
        if fault is None:
            return None
        if fault.times is not None:
            if fault.times <= 1:
                fault.delete()
            else:
                Fault.objects.filter(pk=fault.pk).update(times=fault.times - 1)
        FiredFault.objects.create(route=route, kind=fault.kind)
    return fault


def _reset(request: HttpRequest) -> None:
    # SO_LINGER 0: close() sends a TCP RST, as a crashing proxy or a dropped link would.
    sock = request.META.get("gunicorn.socket")
    if sock is None:
        raise RuntimeError("the reset faults need gunicorn (central serve)")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _json_or_none(data: bytes | None) -> Any:
    try:
        return json.loads(data) if data else None
    except ValueError:
        return None


def _reject_all(request: HttpRequest, retryable: bool) -> HttpResponse:
    body = _json_or_none(request.body) or {}
    items = body.get("donations", []) if isinstance(body, dict) else []
    ids = [i.get("id") for i in items if isinstance(i, dict)]
    return json_response({"results": [
        {"id": i, "status": "rejected", "error": {"code": "fault", "retryable": retryable}}
        for i in ids], "server_time": now_rfc3339()})


def _slow_body(body: bytes, chunk: int, delay: float) -> Iterator[bytes]:
    for i in range(0, len(body), chunk):
        yield body[i:i + chunk]
        time.sleep(delay)


class FaultMiddleware:
    """Applies the active faults to device API requests and records every exchange."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The test administration and the back office are neither faulted nor recorded (the
        # admin's url names are longer than Exchange.route, which PostgreSQL enforces).
        if request.path_info.startswith(("/admin/", "/backoffice/")):
            return self.get_response(request)
        try:
            name = resolve(request.path_info).url_name or "other"
        except Resolver404:
            name = "other"
        fault = take(name if name in ROUTES else "other")
        response = self._apply(request, name, fault)
        self._record(request, name, response, fault)
        return response

    def _apply(self, request: HttpRequest, name: str, fault: Fault | None) -> HttpResponse:
        kind, params = (fault.kind, fault.params) if fault else (None, {})
        if kind == "status":
            response = json_response({"error": {"code": "fault", "message": "injected fault"}},
                                     int(params.get("code", 500)))
            if "retry_after" in params:
                response["Retry-After"] = str(params["retry_after"])
            return response
        if kind == "slow":
            time.sleep(float(params.get("delay", 1)))
        if kind == "reset_before":
            _reset(request)
            return HttpResponse(status=500)
        if kind == "reject" and name == "batch":
            return _reject_all(request, bool(params.get("retryable", False)))
        response = self.get_response(request)
        if kind == "reset_after":
            _reset(request)
            return HttpResponse(status=500)
        if kind == "malformed_json":
            return HttpResponse(b'{"results": [{"id": ', content_type=JSON_TYPE)
        if kind == "wrong_content_type":
            return HttpResponse(b"<html><body>Portail captif</body></html>",
                                content_type="text/html")
        if kind == "oversized":
            return HttpResponse(b" " * int(params.get("size", 8 << 20)) + response.content,
                                content_type=JSON_TYPE)
        if kind == "corrupt_body":
            corrupted = HttpResponse(bytes(b ^ 0xFF for b in response.content),
                                     status=response.status_code,
                                     content_type=response.get("Content-Type"))
            return corrupted
        if kind == "slow_body":
            body = response.content
            slow = StreamingHttpResponse(
                _slow_body(body, int(params.get("chunk", 4096)), float(params.get("delay", 0.1))),
                status=response.status_code, content_type=response.get("Content-Type"))
            slow["Content-Length"] = str(len(body))
            for header in ("ETag", "Cache-Control"):
                if header in response:
                    slow[header] = response[header]
            return slow
        return response

    @staticmethod
    def _record(request: HttpRequest, name: str, response: HttpResponse,
                fault: Fault | None) -> None:
        content = b"" if response.streaming else response.content
        ctype = response.get("Content-Type", "")
        headers = {k: v for k, v in response.items() if k not in ("Content-Type",
                                                                  "Content-Length")}
        Exchange.objects.create(
            at=time.monotonic(), method=request.method or "", route=name,
            path=request.path_info, request=_json_or_none(getattr(request, "_body", None)),
            status=response.status_code, content_type=ctype.split(";")[0].strip(),
            response=_json_or_none(content) if ctype.startswith(JSON_TYPE) else None,
            headers=headers, fault=fault.kind if fault else None)
