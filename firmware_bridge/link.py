"""The Concert link layer: a state machine over a transport.

Sending: ENQ -> ACK; frame -> ACK (NAK: the same frame again, at most ``max_attempts``); EOT.
Receiving: ENQ -> ACK; frame -> ACK (NAK on a bad LRC: the terminal resends); EOT (optional).
Frames are read by state: STX, then printable body bytes up to ETX, then exactly one LRC byte
whatever its value (it can equal ENQ, EOT or any control byte). Nothing scans for control bytes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from firmware_bridge.protocol import ACK, ENQ, EOT, ETX, MAX_BODY, NAK, STX, frame, lrc
from firmware_bridge.transport import Transport

# Once the terminal starts an answer, how long its bytes may take to arrive: a 1 KiB body at
# 9 600 baud takes 1.1 s. Beyond it the line is babbling (an endless frame, a trickle) and the
# exchange must end rather than hold the payment (and the device) for ever.
ANSWER_TRANSFER_S = 2.0


class LinkError(Exception):
    """The exchange failed. ``maybe_accepted``: the terminal may have taken the request."""

    def __init__(self, message: str, *, maybe_accepted: bool = False):
        super().__init__(message)
        self.maybe_accepted = maybe_accepted


class NoAnswer(LinkError):
    """Nothing (valid) came in time."""


@dataclass
class WireStats:
    written: int = 0
    read: int = 0


class Link:
    def __init__(self, transport: Transport, *, byte_timeout: float = 3.0,
                 eot_timeout: float | None = None, max_attempts: int = 3):
        self.transport = transport
        self.byte_timeout = byte_timeout
        # Some terminals omit the final EOT: wait for it briefly, never fail without it.
        self.eot_timeout = byte_timeout if eot_timeout is None else eot_timeout
        self.max_attempts = max_attempts
        self.stats = WireStats()
        self._buffer = bytearray()
        self._deadline: float | None = None  # no read waits past it (set while receiving)

    def answer_budget_s(self) -> float:
        """The longest an answer may take from its ENQ to its last frame (NAKs included)."""
        return self.max_attempts * (self.byte_timeout + ANSWER_TRANSFER_S)

    def exchange_budget_s(self, first_timeout: float) -> float:
        """The longest one payment's send and receive may hold the line, all retries included."""
        send = self.byte_timeout * (1 + self.max_attempts)
        return send + first_timeout + self.answer_budget_s() + self.eot_timeout

    # -- bytes ------------------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        self.transport.write(data)
        self.stats.written += len(data)

    def _byte(self, timeout: float) -> int | None:
        """The next byte, or None if none came within ``timeout`` seconds."""
        if self._deadline is not None:
            timeout = min(timeout, self._deadline - time.monotonic())
            if timeout <= 0:
                return None  # past the answer's deadline: whatever still arrives is not read
        if not self._buffer:
            deadline = time.monotonic() + timeout
            while True:
                chunk = self.transport.read(256, max(deadline - time.monotonic(), 0))
                if chunk:
                    self.stats.read += len(chunk)
                    self._buffer += chunk
                    break
                if time.monotonic() >= deadline:
                    return None
        b = self._buffer[0]
        del self._buffer[0]
        return b

    def discard_input(self) -> None:
        self._buffer.clear()
        self.transport.discard_input()

    # -- sending ----------------------------------------------------------------------------

    def _await_reply(self, timeout: float, expect: tuple[int, ...]) -> int | None:
        """Skip stray bytes until one of ``expect`` arrives, or None at the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            b = self._byte(max(deadline - time.monotonic(), 0))
            if b is None or b in expect:
                return b

    def open_session(self) -> None:
        """ENQ -> ACK. Raises :class:`NoAnswer` (nothing sent beyond ENQ) on silence or NAK."""
        self.discard_input()
        self._write(bytes([ENQ]))
        reply = self._await_reply(self.byte_timeout, (ACK, NAK))
        if reply != ACK:
            raise NoAnswer("the terminal did not answer ENQ (link to the register disabled, "
                           "wrong cable or terminal off)" if reply is None else
                           "the terminal refused the session (NAK to ENQ)")

    def send(self, body: bytes, on_written: Callable[[], None] | None = None) -> None:
        """One message to the terminal: session, frame (resent on NAK), EOT.

        ``on_written`` runs just before the frame's first byte goes out.
        """
        self.open_session()
        data = frame(body)
        for _attempt in range(self.max_attempts):
            if on_written:
                on_written()
            self._write(data)
            reply = self._await_reply(self.byte_timeout, (ACK, NAK))
            if reply == ACK:
                self._write(bytes([EOT]))
                return
            if reply is None:
                raise NoAnswer("no acknowledgement of the request frame", maybe_accepted=True)
        self._write(bytes([EOT]))
        raise LinkError(f"the terminal rejected the request frame {self.max_attempts} times")

    def close_session(self) -> None:
        self._write(bytes([EOT]))

    # -- receiving --------------------------------------------------------------------------

    def receive(self, first_timeout: float, *, accepted: bool = True) -> bytes:
        """One message from the terminal; ``first_timeout`` bounds the wait for its ENQ."""
        if self._await_reply(first_timeout, (ENQ,)) is None:
            raise NoAnswer("no answer from the terminal", maybe_accepted=accepted)
        self._write(bytes([ACK]))
        budget = self.answer_budget_s()
        self._deadline = time.monotonic() + budget
        try:
            for _attempt in range(self.max_attempts):
                body = self._read_frame(accepted)
                if body is not None:
                    self._write(bytes([ACK]))
                    break
                self._write(bytes([NAK]))
            else:
                raise LinkError(f"the terminal's answer was corrupt {self.max_attempts} times",
                                maybe_accepted=accepted)
        except NoAnswer:
            if time.monotonic() >= self._deadline:
                raise NoAnswer(f"the terminal's answer did not end within {budget:g} s",
                               maybe_accepted=accepted) from None
            raise
        finally:
            self._deadline = None
        self._await_reply(self.eot_timeout, (EOT,))
        return body

    def _read_frame(self, accepted: bool) -> bytes | None:
        """A frame's body, or None if it was malformed (the caller NAKs). Raises on silence."""
        def need(what: str) -> int:
            b = self._byte(self.byte_timeout)
            if b is None:
                raise NoAnswer(f"the terminal stopped sending ({what})", maybe_accepted=accepted)
            return b

        if self._await_reply(self.byte_timeout, (STX,)) is None:
            raise NoAnswer("the terminal sent no frame after ENQ", maybe_accepted=accepted)
        body = bytearray()
        while True:
            b = need("frame body")
            if b == ETX:
                break
            if not 0x20 <= b <= 0x7E or len(body) >= MAX_BODY:
                self._drain()
                return None
            body.append(b)
        check = need("LRC")
        if check != lrc(bytes(body) + bytes([ETX])):
            return None
        return bytes(body)

    def _drain(self) -> None:
        """After a garbled frame: drop what is still arriving so the resend starts clean."""
        self._buffer.clear()
        # Bounded by the answer's deadline: STX then an endless stream must not hold the line.
        end = self._deadline if self._deadline is not None else time.monotonic() + self.byte_timeout
        while (left := end - time.monotonic()) > 0:
            if not self.transport.read(4096, min(self.byte_timeout, 0.05, left)):
                return

    # -- probe ------------------------------------------------------------------------------

    def probe(self) -> None:
        """ENQ -> ACK -> EOT: the terminal is there and listening. Raises on failure."""
        self.open_session()
        self.close_session()
