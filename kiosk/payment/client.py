"""A small blocking client for the bridge's socket (docs/internal-apis.md §3).

Call it from a worker thread, never from the Kivy UI thread: ``pay`` blocks until the
terminal answers (the card wait can last minutes).

    client = BridgeClient("/run/kiosk/bridge.sock")
    outcome = client.pay(donation.id, 500, "EUR", on_progress=lambda event: ...)
    outcome["status"]  # approved | declined | cancelled | timeout | link_error | unknown

If the connection breaks during ``pay`` a :class:`BridgeUnavailable` is raised and the
payment may still be running: ask :meth:`BridgeClient.result` later (never pay again with a new
reference for the same donation). Its subclass :class:`BridgeNotReached` means the request
never reached the bridge (no socket, refused): nothing was charged. :class:`BridgeFull` (a
``BridgeNotReached``) is the bridge's ``too_many_clients`` answer, sent before it reads any
request: each call retries it for ``full_retry_s`` before raising it.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Ledger state for each bridge outcome status (the ledger has no timeout / link_error).
LEDGER_STATE = {"approved": "approved", "declined": "declined", "cancelled": "cancelled",
                "timeout": "failed", "link_error": "failed", "unknown": "unknown"}
FINAL_STATUSES = frozenset(LEDGER_STATE)


class BridgeClientError(Exception):
    """Base class of the client's errors."""


class BridgeUnavailable(BridgeClientError):
    """No bridge listening (socket missing, refused) or the connection broke."""


class BridgeNotReached(BridgeUnavailable):
    """The request never reached the bridge (no socket, refused, send failed): nothing was
    charged, it is safe to give up on this reference."""


class BridgeFull(BridgeNotReached):
    """The bridge already serves its maximum of clients and closed this connection before
    reading the request (``too_many_clients``): nothing was sent, try again later."""


class BridgeProtocolError(BridgeClientError):
    """The bridge answered something that is not the documented protocol."""


class BridgeError(BridgeClientError):
    """The bridge refused the request: ``code`` is bad_request, busy, not_cancellable, …"""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(f"{code}: {message}")


class BridgeClient:
    def __init__(self, socket_path: Path | str, *, timeout_s: float = 10.0,
                 pay_timeout_s: float = 240.0, full_retry_s: float = 5.0):
        """``timeout_s`` bounds connect and one-line answers; ``pay_timeout_s`` bounds the wait
        between two lines of a payment (keep it above the terminal's card wait);
        ``full_retry_s`` is how long a call keeps trying while the bridge is full."""
        self.socket_path = str(socket_path)
        self.timeout_s = timeout_s
        self.pay_timeout_s = pay_timeout_s
        self.full_retry_s = full_retry_s

    # -- plumbing -------------------------------------------------------------------------

    def _connect(self) -> socket.socket:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout_s)
        try:
            s.connect(self.socket_path)
        except FileNotFoundError:
            s.close()
            raise BridgeNotReached(f"the payment bridge is not running (no socket at "
                                   f"{self.socket_path})") from None
        except OSError as e:
            s.close()
            raise BridgeNotReached(f"cannot reach the payment bridge at {self.socket_path}: "
                                   f"{e.strerror or e}") from None
        return s

    @staticmethod
    def _read_line(reader: Any) -> dict[str, Any]:
        try:
            line = reader.readline()
        except TimeoutError:
            raise BridgeUnavailable("the payment bridge did not answer in time") from None
        except OSError as e:
            raise BridgeUnavailable(f"the connection to the payment bridge broke: {e}") from None
        if not line:
            raise BridgeUnavailable("the payment bridge closed the connection")
        try:
            doc = json.loads(line)
        except ValueError:
            raise BridgeProtocolError(f"not JSON from the bridge: {line[:200]!r}") from None
        if not isinstance(doc, dict):
            raise BridgeProtocolError(f"not a JSON object from the bridge: {line[:200]!r}")
        if doc.get("ok") is False:
            err = doc.get("error") or {}
            code, message = str(err.get("code", "error")), str(err.get("message", ""))
            if code == "too_many_clients":
                # Written on accepting the connection, before any request is read.
                raise BridgeFull(f"{code}: {message}")
            raise BridgeError(code, message)
        return doc

    def _send(self, s: socket.socket, reader: Any, request: dict[str, Any]) -> None:
        try:
            s.sendall((json.dumps(request) + "\n").encode())
        except OSError as e:
            # The bridge only acts on a complete line, and the newline goes last. A full
            # bridge may have closed first: its too_many_clients line is still to be read.
            try:
                s.settimeout(min(self.timeout_s, 1.0))
                self._read_line(reader)
            except BridgeFull:
                raise
            except BridgeClientError:
                pass
            raise BridgeNotReached(f"cannot send to the payment bridge: {e}") from None

    def _retrying_full(self, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Run ``call`` again while the bridge answers too_many_clients, for full_retry_s.
        Safe for ``pay`` too: the refused connection's request was never read."""
        deadline = time.monotonic() + self.full_retry_s
        delay = 0.05
        while True:
            try:
                return call()
            except BridgeFull:
                if time.monotonic() + delay > deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    def _request(self, request: dict[str, Any]) -> dict[str, Any]:
        def once() -> dict[str, Any]:
            with self._connect() as s, s.makefile("rb") as reader:
                self._send(s, reader, request)
                return self._read_line(reader)

        return self._retrying_full(once)

    # -- the API --------------------------------------------------------------------------

    def pay(self, reference: str, amount_cents: int, currency: str, *,
            on_progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """Pay through the terminal; returns the outcome dict (``status`` and the rest).

        ``on_progress`` gets each progress event (``stage``, ``cancellable``) as it comes, on
        the calling thread.

        Raises :class:`BridgeNotReached` (:class:`BridgeFull` included) only when the request
        cannot have reached the terminal.
        """
        return self._retrying_full(lambda: self._pay_once(reference, amount_cents, currency,
                                                          on_progress))

    def _pay_once(self, reference: str, amount_cents: int, currency: str,
                  on_progress: Callable[[dict[str, Any]], None] | None) -> dict[str, Any]:
        with self._connect() as s, s.makefile("rb") as reader:
            self._send(s, reader, {"op": "pay", "reference": reference,
                                   "amount_cents": amount_cents, "currency": currency})
            s.settimeout(self.pay_timeout_s)
            first = True
            while True:
                try:
                    doc = self._read_line(reader)
                except BridgeFull:
                    if first:
                        raise
                    # Only ever a connection's first line: anything later is not the protocol.
                    raise BridgeProtocolError("too_many_clients in the middle of a payment") \
                        from None
                first = False
                event = doc.get("event")
                if event == "progress":
                    if on_progress:
                        on_progress(doc)
                    continue
                if event == "outcome" and doc.get("status") in FINAL_STATUSES:
                    return doc
                raise BridgeProtocolError(f"unexpected line during a payment: {doc!r}")

    def cancel(self, reference: str) -> bool:
        """Ask to cancel; True if requested. Raises BridgeError(not_cancellable) otherwise."""
        return bool(self._request({"op": "cancel", "reference": reference}).get(
            "cancel_requested"))

    def result(self, reference: str) -> dict[str, Any]:
        """The outcome recorded for ``reference``; status may be in_progress or not_found."""
        doc = self._request({"op": "result", "reference": reference})
        if doc.get("event") != "outcome" or "status" not in doc:
            raise BridgeProtocolError(f"unexpected answer to result: {doc!r}")
        return doc

    def status(self) -> dict[str, Any]:
        """``connected``, ``busy``, ``protocol``, ``device``, ``last_answer_at``, ``last_error``."""
        return self._request({"op": "status"})
