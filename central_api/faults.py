"""Switchable faults, for tests and demos of a bad network or a struggling server.

A fault applies to one route (``batch``, ``catalog``, ``image``, ``featured``, ``heartbeat``,
``enroll`` or ``any``) for a number of requests (``times``; None = until cleared). Kinds:

- ``status``: answer ``code`` (500, 429, 503, ...) with ``Retry-After: retry_after`` if given.
- ``slow``: wait ``delay`` seconds, then answer normally.
- ``reset_before``: read the request, then reset the connection without doing anything.
- ``reset_after``: do the work (commit a batch), then reset the connection instead of answering.
- ``malformed_json``, ``wrong_content_type``, ``oversized``: do the work, then answer 200 with
  broken JSON, a text/html body, or a body of ``size`` bytes.
- ``reject``: answer every item of a batch ``rejected`` with ``retryable`` (nothing stored).
- ``slow_body``: send the body in ``chunk`` byte pieces, ``delay`` seconds apart.
- ``corrupt_body``: flip the bytes of the body (an image that fails its hash).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

KINDS = ("status", "slow", "reset_before", "reset_after", "malformed_json",
         "wrong_content_type", "oversized", "reject", "slow_body", "corrupt_body")
ROUTES = ("batch", "catalog", "image", "featured", "heartbeat", "enroll", "any")


@dataclass
class Fault:
    kind: str
    route: str = "any"
    times: int | None = 1
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, doc: Any) -> Fault:
        if not isinstance(doc, dict) or doc.get("kind") not in KINDS:
            raise ValueError(f"kind: expected one of {', '.join(KINDS)}")
        route = doc.get("route", "any")
        if route not in ROUTES:
            raise ValueError(f"route: expected one of {', '.join(ROUTES)}")
        times = doc.get("times", 1)
        if times is not None and (type(times) is not int or times < 1):
            raise ValueError("times: expected a whole number >= 1 or null")
        params = {k: v for k, v in doc.items() if k not in ("kind", "route", "times")}
        return cls(doc["kind"], route, times, params)


class Faults:
    """The active faults; the first matching one is taken for each request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.fired: list[tuple[str, str]] = []  # (route, kind), for tests to assert on

    def add(self, kind: str, route: str = "any", times: int | None = 1, **params: Any) -> None:
        fault = Fault.from_json({"kind": kind, "route": route, "times": times, **params})
        with self._lock:
            self._faults.append(fault)

    def add_json(self, doc: Any) -> None:
        fault = Fault.from_json(doc)
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> int:
        with self._lock:
            return len(self._faults)

    def take(self, route: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.route in (route, "any"):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    self.fired.append((route, fault.kind))
                    return fault
        return None
