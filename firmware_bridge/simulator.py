"""A byte-accurate Concert terminal on a pseudo-terminal (V2 or V3) or on TCP (V3, Caisse-AP IP).

It plays the terminal's side of the link exactly (ENQ/ACK/frame/LRC/NAK/EOT), follows a
:mod:`script <firmware_bridge.script>` of outcomes, card-wait delays and faults, and keeps its
own record of what it approved (the acquirer's view) so tests can compare it with the ledger.
"""

from __future__ import annotations

import collections
import json
import os
import select
import socket
import threading
import time
import tty
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from firmware_bridge import concert_v2 as v2
from firmware_bridge import concert_v3 as v3
from firmware_bridge.protocol import (
    ACK,
    CURRENCY_BY_CODE,
    ENQ,
    EOT,
    ETX,
    NAK,
    STX,
    ProtocolError,
    frame,
    lrc,
)
from firmware_bridge.script import ScriptStep, format_step


@dataclass(frozen=True)
class Approval:
    reference: str  # what the terminal saw: V2 private data (10 chars) or V3 CF
    amount_cents: int
    currency: str
    auth_code: str


@dataclass(frozen=True)
class Served:
    """One request the terminal answered, and the script step that decided the answer."""

    reference: str  # as the terminal saw it (V2: the 10-character private data)
    amount_cents: int
    currency: str
    step: str  # firmware_bridge.script.format_step of the step taken


class AcquirerRecord:
    """What the simulated acquirer approved, in memory and optionally as a JSON-lines file;
    ``served`` (in memory) lists every request answered with the step that answered it, so a
    test can check each donation's outcome against what its terminal was told to do."""

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path else None
        self.approvals: list[Approval] = []
        self.served: list[Served] = []
        self._lock = threading.Lock()

    def serve(self, served: Served) -> None:
        with self._lock:
            self.served.append(served)

    def add(self, approval: Approval) -> None:
        with self._lock:
            self.approvals.append(approval)
            if self.path:
                with open(self.path, "a", encoding="utf-8") as f:
                    f.write(json.dumps(approval.__dict__) + "\n")
                    f.flush()
                    os.fsync(f.fileno())

    @staticmethod
    def read(path: Path | str) -> list[Approval]:
        p = Path(path)
        if not p.exists():
            return []
        return [Approval(**json.loads(line)) for line in p.read_text().splitlines() if line]


class Script:
    """Steps consumed one per payment, then ``default`` forever. Thread-safe."""

    def __init__(self, steps: Iterable[ScriptStep] = (), default: ScriptStep | None = None):
        self._steps = collections.deque(steps)
        self.default = default or ScriptStep()
        self._lock = threading.Lock()

    def push(self, *steps: ScriptStep) -> None:
        with self._lock:
            self._steps.extend(steps)

    def peek(self) -> ScriptStep:
        with self._lock:
            return self._steps[0] if self._steps else self.default

    def take(self) -> ScriptStep:
        with self._lock:
            return self._steps.popleft() if self._steps else self.default


class _Gone(Exception):
    """The line went away (we re-created the device, or the simulator is stopping)."""


class _Terminal:
    """Protocol-independent decisions: outcome of a request, the acquirer record."""

    def __init__(self, script: Script, record: AcquirerRecord):
        self.script, self.record = script, record
        self.count = 0
        self.card = "497010XXXXXX4242"  # masked card number sent with an approval

    def auth_code(self) -> str:
        self.count += 1
        return f"A{self.count:05d}"

    def approve(self, reference: str, amount_cents: int, currency_code: str) -> str:
        code = self.auth_code()
        self.record.add(Approval(reference, amount_cents,
                                 CURRENCY_BY_CODE.get(currency_code, currency_code), code))
        return code

    def answer_v2(self, step: ScriptStep, req: v2.Request) -> bytes:
        self.record.serve(Served(req.private, req.amount_cents,
                                 CURRENCY_BY_CODE.get(req.currency_code, req.currency_code),
                                 format_step(step)))
        status = {"approve": v2.STATUS_ACCEPTED, "decline": v2.STATUS_REFUSED}.get(
            step.result, v2.STATUS_NOT_VERIFIED)
        if status == v2.STATUS_ACCEPTED:
            self.approve(req.private, req.amount_cents, req.currency_code)
        private = "XXXXXXXXXX" if step.has("wrong_reference") else req.private
        repeat = self.card if req.full_answer else None
        return v2.encode_answer(v2.Answer(req.pos, status, req.amount_cents, req.mode,
                                          req.currency_code, private, repeat))

    def answer_v3(self, step: ScriptStep, req: v3.Request) -> bytes:
        self.record.serve(Served(req.reference, req.amount_cents,
                                 CURRENCY_BY_CODE.get(req.currency_code, req.currency_code),
                                 format_step(step)))
        reason = {"decline": "04", "cancel": "06", "input_timeout": "08",
                  "not_verified": "07"}.get(step.result)
        auth = None
        if reason is None:
            auth = self.approve(req.reference, req.amount_cents, req.currency_code)
        reference = "WRONG-REFERENCE" if step.has("wrong_reference") else req.reference
        return v3.encode_answer(v3.Answer(
            performed=reason is None, pos=req.pos, amount_cents=req.amount_cents,
            action=req.action, currency_code=req.currency_code, reason_code=reason,
            auth_code=auth, card=self.card if auth else None,
            read_mode="2" if auth else None, reference=reference))


class PtySimulator:
    """The terminal on a pseudo-terminal; ``link_path`` (a symlink) names its device."""

    def __init__(self, link_path: Path | str, *, protocol: str = "concert-v2",
                 script: Script | None = None, record: AcquirerRecord | None = None,
                 byte_timeout: float = 3.0, split_delay_s: float = 0.001,
                 answer_repeats: int = 3):
        if protocol not in ("concert-v2", "concert-v3"):
            raise ValueError(f"unknown protocol {protocol!r}")
        self.link_path = Path(link_path)
        self.protocol = protocol
        self.script = script or Script()
        self.record = record or AcquirerRecord()
        self.terminal = _Terminal(self.script, self.record)
        self.byte_timeout = byte_timeout
        self.split_delay_s = split_delay_s
        self.answer_repeats = answer_repeats  # offers of an answer after the first (see below)
        self.answer_repeats_made = 0
        self.answers_abandoned = 0  # answers no register took: charged, never reported
        self.requests_seen: list[bytes] = []  # every request body received, in order
        self.probes = 0
        self.recreations = 0
        self.on_session: Callable[[], None] | None = None  # called as each ENQ arrives
        self._master = self._slave = -1
        self._buffer = bytearray()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._open_pty()

    # -- the device ---------------------------------------------------------------------

    def _open_pty(self) -> None:
        master, slave = os.openpty()
        # Raw: no echo, no CR/LF translation. Keeping our own slave fd open means the master
        # never reads EIO while the bridge has the device closed.
        tty.setraw(slave)
        self._master, self._slave = master, slave
        self.device_path = os.ttyname(slave)
        tmp = self.link_path.with_name(self.link_path.name + ".new")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(self.device_path)
        os.replace(tmp, self.link_path)

    def _close_pty(self) -> None:
        for fd in (self._master, self._slave):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._master = self._slave = -1
        self._buffer.clear()

    def recreate(self) -> None:
        """Close the device and create a new one under the same link (USB re-enumeration)."""
        self._close_pty()
        self._open_pty()
        self.recreations += 1

    # -- bytes ----------------------------------------------------------------------------

    def _read_byte(self, timeout: float | None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._buffer:
            if self._stop.is_set():
                raise _Gone()
            wait = 0.05 if deadline is None else min(0.05, deadline - time.monotonic())
            if wait <= 0:
                return None
            try:
                ready, _, _ = select.select([self._master], [], [], wait)
                if ready:
                    self._buffer += os.read(self._master, 4096)
            except OSError:
                raise _Gone() from None
        b = self._buffer[0]
        del self._buffer[0]
        return b

    def _write(self, data: bytes, split: bool = False) -> None:
        try:
            if split:
                for b in data:
                    os.write(self._master, bytes([b]))
                    time.sleep(self.split_delay_s)
            else:
                os.write(self._master, data)
        except OSError:
            raise _Gone() from None

    # -- running --------------------------------------------------------------------------

    def start(self) -> PtySimulator:
        self._thread = threading.Thread(target=self.run, name="terminal-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """The terminal unplugged: its device closes and its link goes, as a USB serial
        device's node disappears. A link left behind would name a freed pseudo-terminal that
        the kernel hands to the next program opening one (another simulator), and a bridge
        opening it would find somebody else's terminal there."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        self._close_pty()
        self.link_path.unlink(missing_ok=True)

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self._serve_one()
            except _Gone:
                continue

    def _serve_one(self) -> None:
        if self._read_byte(None) != ENQ:
            return  # idle line noise: a terminal waits for ENQ
        if self.on_session:
            self.on_session()
        if self.script.peek().has("silence"):
            self.script.take()
            self._drain_quiet()
            return
        self._write(bytes([ACK]))
        request = self._receive_request()
        if request is None:
            return
        step = self.script.take()
        if self.protocol == "concert-v2":
            answer = self.terminal.answer_v2(step, v2.decode_request(request))
        else:
            answer = self.terminal.answer_v3(step, v3.decode_request(request))
        if step.card_delay_s:
            self._stop.wait(step.card_delay_s)
        if step.has("recreate"):
            self.recreate()
            return
        if step.has("lose_answer"):
            return
        if step.has("endless_answer"):
            self._send_endless()
            return
        self._send_answer(answer, step)

    def _send_endless(self, limit_s: float = 60.0) -> None:
        """ENQ, then STX and printable bytes without end (until stopped, or ``limit_s``).
        The session is offered like any answer (ENQ repeated while nobody takes it), so a
        register slow to ACK on a loaded machine still meets the babble, not a lost answer."""
        for _offer in range(1 + self.answer_repeats):
            self._write(bytes([ENQ]))
            if self._read_byte(self.byte_timeout) == ACK:
                break
        else:
            return
        self._write(bytes([STX]))
        end = time.monotonic() + limit_s
        while not self._stop.is_set() and time.monotonic() < end:
            try:  # never block: the register may have stopped reading
                if select.select([], [self._master], [], 0.05)[1]:
                    os.write(self._master, b"A" * 64)
            except OSError:
                raise _Gone() from None

    def _drain_quiet(self) -> None:
        while self._read_byte(self.byte_timeout / 2) is not None:
            pass

    def _receive_request(self) -> bytes | None:
        """Frames until one is good (NAK the bad ones); None if the register only probed."""
        nak_first = self.script.peek().has("nak_first_frame")
        while True:
            b = self._read_byte(self.byte_timeout)
            if b is None:
                return None
            if b == EOT:
                self.probes += 1
                return None
            if b != STX:
                continue
            body = bytearray()
            while (c := self._read_byte(self.byte_timeout)) not in (ETX, None):
                body.append(c)
            check = self._read_byte(self.byte_timeout) if c == ETX else None
            if check is None:
                return None
            if nak_first or check != lrc(bytes(body) + bytes([ETX])):
                nak_first = False
                self._write(bytes([NAK]))
                continue
            try:
                decoded = (v2.decode_request if self.protocol == "concert-v2"
                           else v3.decode_request)
                decoded(bytes(body))
            except ProtocolError:
                self._write(bytes([NAK]))
                continue
            self._write(bytes([ACK]))
            self.requests_seen.append(bytes(body))
            self._read_byte(self.byte_timeout)  # the register's EOT
            return bytes(body)

    def _send_answer(self, body: bytes, step: ScriptStep) -> None:
        """Offer the answer: ENQ, frame (resent on NAK), EOT; an offer nobody takes is made
        again ``answer_repeats`` times, then the answer is abandoned (the acquirer keeps it).

        No Concert / Caisse-AP text found says what a terminal does with an answer the register
        does not take. Assumed here from the nearest documented rule, Nexi's ECR ENQ/ACK
        protocol: a message is repeated up to three times on a response timeout or a NAK.
        """
        if step.has("stray_byte"):
            self._write(b"\x00")
        split = step.has("split")
        good = frame(body)
        corrupt = step.has("corrupt_lrc")
        for offer in range(1 + self.answer_repeats):
            if offer:
                self.answer_repeats_made += 1
            self._write(bytes([ENQ]), split)
            if self._read_byte(self.byte_timeout) != ACK:
                continue  # nobody took the session: offer it again
            for _attempt in range(3):
                bad = corrupt and _attempt == 0
                self._write(good[:-1] + bytes([good[-1] ^ 0x01]) if bad else good, split)
                reply = self._read_byte(self.byte_timeout)
                if reply == ACK:
                    if not step.has("no_eot"):
                        self._write(bytes([EOT]))
                    return
                if reply is None:
                    break  # the register went quiet mid-answer: offer the whole answer again
            corrupt = False
            self._write(bytes([EOT]))
        self.answers_abandoned += 1


class TcpV3Simulator:
    """Concert V3 over TCP (Caisse-AP IP) on 127.0.0.1: one request and answer per connection."""

    def __init__(self, *, port: int = 0, script: Script | None = None,
                 record: AcquirerRecord | None = None, byte_timeout: float = 3.0):
        self.script = script or Script()
        self.record = record or AcquirerRecord()
        self.terminal = _Terminal(self.script, self.record)
        self.byte_timeout = byte_timeout
        self.requests_seen: list[bytes] = []
        self._server = socket.create_server(("127.0.0.1", port))
        self.port = self._server.getsockname()[1]
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()

    def start(self) -> TcpV3Simulator:
        self._thread = threading.Thread(target=self.run, name="tcp-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        try:
            self._server.shutdown(socket.SHUT_RDWR)  # wakes the accept() in our thread
        except OSError:
            pass
        self._server.close()
        if self._thread:
            self._thread.join(timeout=5)

    def run(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with conn:
                try:
                    self._serve(conn)
                except OSError:
                    pass

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(self.byte_timeout)
        data = b""
        while True:
            try:
                chunk = conn.recv(4096)
            except TimeoutError:
                return
            if not chunk:
                if data:
                    break
                return  # a probe: connect and close
            data += chunk
            try:
                if "CF" in dict(v3.decode_tlv(data)):
                    break
            except ProtocolError:
                continue
        try:
            request = v3.decode_request(data)
        except ProtocolError:
            return
        self.requests_seen.append(data)
        step = self.script.take()
        answer = self.terminal.answer_v3(step, request)
        if step.card_delay_s:
            time.sleep(step.card_delay_s)
        if step.has("lose_answer") or step.has("silence"):
            return
        if step.has("endless_answer"):  # a trickle: each byte just inside the byte timeout
            end = time.monotonic() + 60
            while time.monotonic() < end and not self._closing.is_set():
                conn.sendall(answer[:1])
                self._closing.wait(self.byte_timeout * 0.6)
            return
        if step.has("split"):
            for b in answer:
                conn.sendall(bytes([b]))
        else:
            conn.sendall(answer)
