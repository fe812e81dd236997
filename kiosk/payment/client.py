"""A small blocking client for the bridge's socket (docs/internal-apis.md §3).

Call it from a worker thread, never from the Kivy UI thread: ``pay`` blocks until the
terminal answers (the card wait can last minutes).

    client = BridgeClient("/run/kiosk/bridge.sock")
    outcome = client.pay(donation.id, 500, "EUR", on_progress=lambda event: ...)
    outcome.status  # approved | declined | cancelled | timeout | link_error | unknown
    client.status().connected

Every answer is parsed here, once, into a :class:`BridgeOutcome` or a :class:`BridgeStatus`;
an answer that is not the documented protocol raises :class:`BridgeProtocolError`.

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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

# A final outcome of ``pay``; ``result`` may also answer in_progress or not_found.
FINAL_STATUSES = frozenset({"approved", "declined", "cancelled", "timeout", "link_error",
                            "unknown"})
RESULT_STATUSES = FINAL_STATUSES | {"in_progress", "not_found"}
MAX_ANSWER_BYTES = 64 * 1024  # the bridge's own request limit; no answer comes near it
_T = TypeVar("_T")


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
        self.code, self.message = code, message
        super().__init__(f"{code}: {message}")


@dataclass(frozen=True)
class BridgeStatus:
    """The bridge's ``status`` answer: is the terminal answering, and on what."""

    connected: bool
    busy: bool = False
    protocol: str | None = None
    device: str | None = None
    last_answer_at: str | None = None
    last_error: str | None = None

    def as_dict(self) -> dict[str, bool | str | None]:
        return asdict(self)


@dataclass(frozen=True)
class BridgeOutcome:
    """An ``outcome`` line (of ``pay`` or ``result``); ``status`` is one of RESULT_STATUSES."""

    status: str
    reference: str | None = None
    amount_cents: int | None = None
    currency: str | None = None
    auth_code: str | None = None
    card_suffix: str | None = None
    reason: str | None = None

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES

    def as_dict(self) -> dict[str, int | str | None]:
        return asdict(self)


def _text(doc: dict[str, Any], key: str, what: str) -> str | None:
    value = doc.get(key)
    if value is not None and not isinstance(value, str):
        raise BridgeProtocolError(f"the bridge's {what} has a non-text {key!r}: {value!r}"[:300])
    return value


def parse_answer(line: bytes) -> dict[str, Any]:
    """One answer line as a JSON object. A refusal (``"ok": false``) raises
    :class:`BridgeError` (:class:`BridgeFull` for too_many_clients); anything that is not a
    JSON object raises :class:`BridgeProtocolError`."""
    if len(line) > MAX_ANSWER_BYTES:
        raise BridgeProtocolError("the payment bridge's answer is too long")
    try:
        doc = json.loads(line)
    except (ValueError, RecursionError):
        raise BridgeProtocolError(f"not JSON from the bridge: {line[:200]!r}") from None
    if not isinstance(doc, dict):
        raise BridgeProtocolError(f"not a JSON object from the bridge: {line[:200]!r}")
    if doc.get("ok") is False:
        err = doc.get("error")
        err = err if isinstance(err, dict) else {}
        code, message = str(err.get("code", "error")), str(err.get("message", ""))
        if code == "too_many_clients":
            # Written on accepting the connection, before any request is read.
            raise BridgeFull(f"{code}: {message}")
        raise BridgeError(code, message)
    return doc


def parse_status(doc: dict[str, Any]) -> BridgeStatus:
    """One ``status`` answer; :class:`BridgeProtocolError` names what is wrong."""
    if doc.get("ok") is not True:  # every status answer says so (§3); a bare object is not one
        raise BridgeProtocolError(f"not a bridge status answer: {doc!r}"[:300])
    connected, busy = doc.get("connected"), doc.get("busy", False)
    if not isinstance(connected, bool):
        raise BridgeProtocolError("the bridge's status has no 'connected' true/false field")
    if not isinstance(busy, bool):
        raise BridgeProtocolError(f"the bridge's status has a non-boolean 'busy': {busy!r}"[:300])
    return BridgeStatus(connected, busy, *(_text(doc, key, "status") for key in
                                           ("protocol", "device", "last_answer_at",
                                            "last_error")))


def parse_outcome(doc: dict[str, Any], statuses: frozenset[str] = RESULT_STATUSES
                  ) -> BridgeOutcome:
    """One ``outcome`` line; :class:`BridgeProtocolError` unless it is the documented shape."""
    status = doc.get("status")
    # A list or an object as the status is unhashable: test the type before the membership.
    if doc.get("event") != "outcome" or not isinstance(status, str) or status not in statuses:
        raise BridgeProtocolError(f"not a bridge outcome: {doc!r}"[:300])
    amount = doc.get("amount_cents")
    # bool is an int in Python: a `true` is no amount.
    if amount is not None and (type(amount) is not int or amount < 0):
        raise BridgeProtocolError(f"the bridge's outcome has a bad amount_cents: {amount!r}"[:300])
    return BridgeOutcome(status, _text(doc, "reference", "outcome"), amount,
                         *(_text(doc, key, "outcome") for key in
                           ("currency", "auth_code", "card_suffix", "reason")))


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
        except PermissionError:
            s.close()
            raise BridgeNotReached(f"not allowed to open {self.socket_path} (run as root or in "
                                   "the firmware-bridge group)") from None
        except ConnectionRefusedError:
            # A socket file left by a bridge that stopped (or one still starting).
            s.close()
            raise BridgeNotReached(f"the payment bridge is not accepting connections at "
                                   f"{self.socket_path} (stopped, or still starting)") from None
        except OSError as e:
            s.close()
            raise BridgeNotReached(f"cannot reach the payment bridge at {self.socket_path}: "
                                   f"{e.strerror or e}") from None
        return s

    @staticmethod
    def _read_line(reader: IO[bytes]) -> dict[str, Any]:
        try:
            line = reader.readline(MAX_ANSWER_BYTES + 1)
        except TimeoutError:
            raise BridgeUnavailable("the payment bridge did not answer in time") from None
        except OSError as e:
            raise BridgeUnavailable(f"the connection to the payment bridge broke: {e}") from None
        if not line:
            raise BridgeUnavailable("the payment bridge closed the connection")
        return parse_answer(line)

    def _send(self, s: socket.socket, reader: IO[bytes], request: dict[str, Any]) -> None:
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

    def _retrying_full(self, call: Callable[[], _T]) -> _T:
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
            on_progress: Callable[[dict[str, Any]], None] | None = None) -> BridgeOutcome:
        """Pay through the terminal; returns its final outcome.

        ``on_progress`` gets each progress event (``stage``, ``cancellable``) as it comes, on
        the calling thread.

        Raises :class:`BridgeNotReached` (:class:`BridgeFull` included) only when the request
        cannot have reached the terminal.
        """
        return self._retrying_full(lambda: self._pay_once(reference, amount_cents, currency,
                                                          on_progress))

    def _pay_once(self, reference: str, amount_cents: int, currency: str,
                  on_progress: Callable[[dict[str, Any]], None] | None) -> BridgeOutcome:
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
                if event == "outcome":
                    return parse_outcome(doc, FINAL_STATUSES)
                raise BridgeProtocolError(f"unexpected line during a payment: {doc!r}"[:300])

    def cancel(self, reference: str) -> bool:
        """Ask to cancel; True if requested. Raises BridgeError(not_cancellable) otherwise."""
        return bool(self._request({"op": "cancel", "reference": reference}).get(
            "cancel_requested"))

    def result(self, reference: str) -> BridgeOutcome:
        """The outcome recorded for ``reference``; status may be in_progress or not_found."""
        return parse_outcome(self._request({"op": "result", "reference": reference}))

    def status(self) -> BridgeStatus:
        """The terminal's state as the bridge sees it; never touches money."""
        return parse_status(self._request({"op": "status"}))
