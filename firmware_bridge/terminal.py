"""The PaymentTerminal interface and its Concert implementations (serial V2/V3, TCP V3).

One small interface, interchangeable implementations: ``pay`` returns a typed
:class:`~firmware_bridge.outcome.TerminalOutcome` and never raises for anything the terminal or the
link does; ``probe`` raises :class:`LinkError` or :class:`TransportError` when the terminal is
not there. Money is integer cents end to end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from firmware_bridge import concert_v2 as v2
from firmware_bridge import concert_v3 as v3
from firmware_bridge.journal import CRASHED_REASON
from firmware_bridge.link import ANSWER_TRANSFER_S, Link, LinkError, NoAnswer
from firmware_bridge.outcome import Status, TerminalOutcome, card_suffix
from firmware_bridge.protocol import CURRENCY_CODES, ProtocolError
from firmware_bridge.transport import TcpTransport, Transport, TransportError

PROTOCOLS = ("concert-v2", "concert-v3")

# (stage, cancellable): connecting, sending, waiting_card, receiving
ProgressCallback = Callable[[str, bool], None]


class PaymentTerminal(Protocol):
    protocol: str
    device: str

    def pay(self, *, reference: str, amount_cents: int, currency: str,
            on_progress: ProgressCallback | None = None,
            cancel: threading.Event | None = None,
            on_sent: Callable[[], None] | None = None) -> TerminalOutcome: ...

    def late_answer_window_s(self) -> float: ...

    def late_answer(self, *, reference: str, amount_cents: int, currency: str,
                    until: float) -> TerminalOutcome: ...

    def probe(self) -> None: ...

    def close(self) -> None: ...

    def payment_deadline_s(self) -> float: ...


class _NoTransport:
    """For computing a link's budgets without a device."""

    def write(self, data: bytes) -> None:
        raise TransportError("no device")

    def read(self, size: int, timeout: float) -> bytes:
        raise TransportError("no device")

    def discard_input(self) -> None:
        pass

    def close(self) -> None:
        pass


class RequestNotSent(LinkError):
    """Raised before the request's first byte: nothing reached the terminal."""


def late_reason(detail: str) -> str:
    return f"{CRASHED_REASON}; no answer came after the restart ({detail})"


class _Exchange:
    """Book-keeping of one payment: progress reports and whether money may be at stake."""

    def __init__(self, amount_cents: int, currency: str, on_progress: ProgressCallback | None,
                 on_sent: Callable[[], None] | None = None):
        self.amount_cents, self.currency = amount_cents, currency
        self.on_progress = on_progress
        self.on_sent = on_sent
        self.request_written = False

    def stage(self, name: str, cancellable: bool = False) -> None:
        if self.on_progress:
            self.on_progress(name, cancellable)

    def written(self) -> None:
        """Just before the request's first byte. ``on_sent`` journals it first: if that fails
        it raises, and nothing goes out."""
        if not self.request_written and self.on_sent is not None:
            try:
                self.on_sent()
            except Exception as e:  # noqa: BLE001 - whatever failed, the request must not go
                raise RequestNotSent(f"the request could not be journaled as sent: {e}") from e
        self.request_written = True

    def outcome(self, status: Status, reason: str | None = None,
                **kw: str | None) -> TerminalOutcome:
        return TerminalOutcome(status, self.amount_cents, self.currency, reason=reason, **kw)

    def failure(self, e: Exception) -> TerminalOutcome:
        """Classify a link failure: after the request went out, money may have been taken."""
        if self.request_written or (isinstance(e, LinkError) and e.maybe_accepted):
            return self.outcome(Status.UNKNOWN, f"the answer was lost: {e}")
        if isinstance(e, NoAnswer):
            return self.outcome(Status.TIMEOUT, str(e))
        return self.outcome(Status.LINK_ERROR, str(e))


def _check_request(amount_cents: int, currency: str) -> None:
    if type(amount_cents) is not int or not 0 < amount_cents <= v2.MAX_AMOUNT_CENTS:
        raise ValueError(f"amount must be 1 to {v2.MAX_AMOUNT_CENTS} cents, got {amount_cents!r}")
    if currency not in CURRENCY_CODES:
        raise ValueError(f"currency {currency!r} is not one of {', '.join(CURRENCY_CODES)}")


def classify_v2(answer: v2.Answer, ex: _Exchange, private: str) -> TerminalOutcome:
    if (answer.private != private or answer.amount_cents != ex.amount_cents
            or answer.currency_code != CURRENCY_CODES[ex.currency]):
        return ex.outcome(Status.UNKNOWN, f"the terminal answered for another request "
                                          f"(reference {answer.private!r}, "
                                          f"{answer.amount_cents} cents)")
    if answer.status == v2.STATUS_ACCEPTED:
        return ex.outcome(Status.APPROVED, card_suffix=card_suffix(answer.card))
    if answer.status == v2.STATUS_REFUSED:
        return ex.outcome(Status.DECLINED, "refused by the terminal")
    return ex.outcome(Status.DECLINED, "not carried out by the terminal (status 9)")


_CANCELLED_REASONS = {"06", "11"}  # abandoned, operator abort


def classify_v3(answer: v3.Answer, ex: _Exchange, request: v3.Request) -> TerminalOutcome:
    echoed = (answer.pos, answer.amount_cents, answer.action, answer.currency_code)
    if echoed != (request.pos, request.amount_cents, request.action, request.currency_code):
        return ex.outcome(Status.UNKNOWN, f"the terminal's answer does not echo the request "
                                          f"(CA/CB/CD/CE = {echoed})")
    if answer.reference is not None and answer.reference != request.reference:
        return ex.outcome(Status.UNKNOWN, f"the terminal answered for reference "
                                          f"{answer.reference!r}")
    if answer.performed:
        return ex.outcome(Status.APPROVED, auth_code=answer.auth_code,
                          card_suffix=card_suffix(answer.card))
    code = (answer.reason_code or "")[:2]
    status = (Status.CANCELLED if code in _CANCELLED_REASONS
              else Status.TIMEOUT if code == "08" else Status.DECLINED)
    return ex.outcome(status, answer.reason or "not performed")


class SerialTerminal:
    """Concert V2 or V3 over a serial device, opened (and re-opened) by path."""

    def __init__(self, open_transport: Callable[[], Transport], *, protocol: str = "concert-v2",
                 device: str = "", pos: str = "01", register_id: str = "000000000001",
                 byte_timeout: float = 3.0, card_wait_timeout: float = 180.0,
                 eot_timeout: float | None = None, reopen_timeout: float = 5.0):
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {PROTOCOLS}")
        self.protocol, self.device = protocol, device
        self.pos, self.register_id = pos, register_id
        self.byte_timeout, self.card_wait_timeout = byte_timeout, card_wait_timeout
        self.eot_timeout, self.reopen_timeout = eot_timeout, reopen_timeout
        self._open_transport = open_transport
        self.link: Link | None = None

    def _ensure_link(self, cancel: threading.Event | None = None) -> Link:
        """Open the device, retrying for ``reopen_timeout`` (USB re-enumeration takes a moment)."""
        if self.link is not None:
            return self.link
        deadline = time.monotonic() + self.reopen_timeout
        while True:
            try:
                transport = self._open_transport()
                break
            except TransportError:
                if time.monotonic() >= deadline or (cancel and cancel.is_set()):
                    raise
                (cancel or threading.Event()).wait(0.05)
        self.link = Link(transport, byte_timeout=self.byte_timeout, eot_timeout=self.eot_timeout)
        return self.link

    def _drop_link(self) -> None:
        if self.link is not None:
            self.link.transport.close()
            self.link = None

    def close(self) -> None:
        self._drop_link()

    def payment_deadline_s(self) -> float:
        """The longest a payment can take, opening the device and every retry included."""
        link = Link(_NoTransport(), byte_timeout=self.byte_timeout, eot_timeout=self.eot_timeout)
        return self.reopen_timeout + link.exchange_budget_s(self.card_wait_timeout)

    def probe(self) -> None:
        try:
            self._ensure_link().probe()
        except TransportError:
            self._drop_link()
            raise

    def _request(self, reference: str, amount_cents: int, currency: str) -> tuple[bytes, Any]:
        """The request's body, and what its answer is checked against (Any: the V2 short
        reference or the V3 request, by ``self.protocol``)."""
        code = CURRENCY_CODES[currency]
        if self.protocol == "concert-v2":
            private = v2.short_reference(reference)
            return v2.encode_request(v2.Request(amount_cents, code, private, pos=self.pos)), private
        request = v3.Request(amount_cents, code, reference, pos=self.pos,
                             register_id=self.register_id)
        return v3.encode_request(request), request

    def _classify(self, answer: bytes, ex: _Exchange, sent: Any) -> TerminalOutcome:
        if self.protocol == "concert-v2":
            return classify_v2(v2.decode_answer(answer), ex, sent)
        return classify_v3(v3.decode_answer(answer), ex, sent)

    def late_answer_window_s(self) -> float:
        """From the request frame's first byte, how long its answer may still be offered: the
        frame's acknowledgement, the card wait, the answer with its resends, the final EOT."""
        link = Link(_NoTransport(), byte_timeout=self.byte_timeout, eot_timeout=self.eot_timeout)
        return link.exchange_budget_s(self.card_wait_timeout)

    def late_answer(self, *, reference: str, amount_cents: int, currency: str,
                    until: float) -> TerminalOutcome:
        """After a restart: the answer to a request an earlier process sent, if the terminal
        offers it (again) before ``until`` (time.monotonic()). Never sends the request."""
        _check_request(amount_cents, currency)
        ex = _Exchange(amount_cents, currency, None)
        ex.request_written = True  # any failure from here on: money may have been taken
        _body, sent = self._request(reference, amount_cents, currency)
        detail = "the terminal offered nothing"
        while (left := until - time.monotonic()) > 0:
            try:
                answer = self._ensure_link().receive(left)
                return self._classify(answer, ex, sent)
            except TransportError as e:
                self._drop_link()
                detail = str(e)
                time.sleep(min(0.05, max(until - time.monotonic(), 0)))
            except LinkError as e:  # silence, or a garbled offer: the terminal offers it again
                detail = str(e)
            except ProtocolError as e:
                return ex.outcome(Status.UNKNOWN, f"the terminal's answer was not understood: {e}")
        return ex.outcome(Status.UNKNOWN, late_reason(detail))

    def pay(self, *, reference: str, amount_cents: int, currency: str,
            on_progress: ProgressCallback | None = None,
            cancel: threading.Event | None = None,
            on_sent: Callable[[], None] | None = None) -> TerminalOutcome:
        _check_request(amount_cents, currency)
        ex = _Exchange(amount_cents, currency, on_progress, on_sent)
        body, sent = self._request(reference, amount_cents, currency)
        try:
            ex.stage("connecting", True)
            link = self._ensure_link(cancel)
            if cancel is not None and cancel.is_set():
                return ex.outcome(Status.CANCELLED, "cancelled before the request was sent")
            ex.stage("sending")
            link.send(body, on_written=ex.written)
            ex.stage("waiting_card")
            answer = link.receive(self.card_wait_timeout)
            ex.stage("receiving")
            return self._classify(answer, ex, sent)
        except TransportError as e:
            self._drop_link()
            return ex.failure(e)
        except (LinkError, ProtocolError) as e:
            # Unsure where the terminal is in its exchange: start the next one from a clean line.
            if isinstance(e, ProtocolError):
                return ex.outcome(Status.UNKNOWN, f"the terminal's answer was not understood: {e}")
            return ex.failure(e)


class TcpV3Terminal:
    """Concert V3 over TCP (Caisse-AP IP): one connection per request, bare TLV, no framing."""

    protocol = "concert-v3"

    def __init__(self, host: str, port: int = 8888, *, register_id: str = "000000000001",
                 pos: str = "01", byte_timeout: float = 3.0, card_wait_timeout: float = 180.0):
        self.host, self.port, self.device = host, port, f"{host}:{port}"
        self.pos, self.register_id = pos, register_id
        self.byte_timeout, self.card_wait_timeout = byte_timeout, card_wait_timeout

    def close(self) -> None:
        pass

    def payment_deadline_s(self) -> float:
        """The longest a payment can take: connect, card wait, the answer's transfer."""
        return 2 * self.byte_timeout + self.card_wait_timeout + self.byte_timeout \
            + ANSWER_TRANSFER_S

    def probe(self) -> None:
        TcpTransport(self.host, self.port, connect_timeout=self.byte_timeout).close()

    def late_answer_window_s(self) -> float:
        # The terminal answers on the connection that carried the request; it died with the
        # process that opened it, so nothing can be heard after a restart.
        return 0.0

    def late_answer(self, *, reference: str, amount_cents: int, currency: str,
                    until: float) -> TerminalOutcome:
        _check_request(amount_cents, currency)
        return TerminalOutcome(Status.UNKNOWN, amount_cents, currency,
                       reason=late_reason("Caisse-AP IP answers only on the request's connection"))

    def pay(self, *, reference: str, amount_cents: int, currency: str,
            on_progress: ProgressCallback | None = None,
            cancel: threading.Event | None = None,
            on_sent: Callable[[], None] | None = None) -> TerminalOutcome:
        _check_request(amount_cents, currency)
        ex = _Exchange(amount_cents, currency, on_progress, on_sent)
        request = v3.Request(amount_cents, CURRENCY_CODES[currency], reference, pos=self.pos,
                             register_id=self.register_id)
        body = v3.encode_request(request)
        ex.stage("connecting", True)
        if cancel is not None and cancel.is_set():
            return ex.outcome(Status.CANCELLED, "cancelled before the request was sent")
        try:
            conn = TcpTransport(self.host, self.port, connect_timeout=self.byte_timeout)
        except TransportError as e:
            return ex.outcome(Status.LINK_ERROR, str(e))
        try:
            ex.stage("sending")
            ex.written()
            conn.write(body)
            ex.stage("waiting_card")
            answer = self._read_answer(conn)
            ex.stage("receiving")
            return classify_v3(v3.decode_answer(answer), ex, request)
        except (TransportError, LinkError) as e:
            return ex.failure(e)
        except ProtocolError as e:
            return ex.outcome(Status.UNKNOWN, f"the terminal's answer was not understood: {e}")
        finally:
            conn.close()

    def _read_answer(self, conn: TcpTransport) -> bytes:
        """Everything until the terminal closes the connection."""
        data = bytearray(conn.read(4096, self.card_wait_timeout))
        if not data:
            raise NoAnswer("no answer from the terminal", maybe_accepted=True)
        # A trickle (one byte just inside each byte timeout) must not hold the payment: the
        # whole answer has the same budget as a serial one once it has started.
        budget = self.byte_timeout + ANSWER_TRANSFER_S
        deadline = time.monotonic() + budget
        while not conn.closed_by_peer:
            left = deadline - time.monotonic()
            chunk = conn.read(4096, min(self.byte_timeout, left)) if left > 0 else b""
            if not chunk and not conn.closed_by_peer:
                if time.monotonic() >= deadline:
                    raise NoAnswer(f"the terminal's answer did not end within {budget:g} s",
                                   maybe_accepted=True)
                raise NoAnswer("the terminal stopped sending", maybe_accepted=True)
            data += chunk
            if len(data) > 64 * 1024:
                raise LinkError("the terminal's answer is too long", maybe_accepted=True)
        return bytes(data)
