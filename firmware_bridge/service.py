"""The bridge service: owns the terminal, journals every request, serves JSON lines on a socket.

Protocol: docs/internal-apis.md §3. One payment at a time; it runs in its own thread so a
client that goes away does not stop it (the outcome is journaled and answered by ``result``).
"""

from __future__ import annotations

import json
import logging
import os
import queue
import socketserver
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from firmware_bridge import concert_v2, socket_requests, systemd_notify
from firmware_bridge.clock import utc_now
from firmware_bridge.journal import (
    CRASHED_REASON,
    DuplicateShortReference,
    Journal,
    JournalError,
    LateAnswer,
)
from firmware_bridge.outcome import Status, TerminalOutcome
from firmware_bridge.terminal import PaymentTerminal

if TYPE_CHECKING:
    from io import BufferedIOBase

log = logging.getLogger("firmware_bridge")

# Outcomes that prove the terminal answered (so the link is up).
_ANSWERED = {Status.APPROVED, Status.DECLINED, Status.CANCELLED}


def error(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}


def outcome_event(reference: str, outcome: TerminalOutcome) -> dict[str, Any]:
    return {"event": "outcome", "reference": reference, **outcome.as_dict()}


class ServiceError(Exception):
    """The service cannot start (the message says why)."""


@dataclass
class Payment:
    """One payment in flight: its events for the waiting client, its cancel switch."""

    reference: str
    amount_cents: int
    currency: str
    cancel: threading.Event = field(default_factory=threading.Event)
    cancellable: bool = False
    started: float = field(default_factory=time.monotonic)
    outcome: TerminalOutcome | None = None
    done: threading.Event = field(default_factory=threading.Event)
    events: queue.Queue = field(default_factory=queue.Queue)


class BridgeService:
    def __init__(self, terminal: PaymentTerminal, journal: Journal, socket_path: Path | str, *,
                 max_amount_cents: int = concert_v2.MAX_AMOUNT_CENTS,
                 probe_interval_s: float = 300.0, socket_mode: int = 0o660,
                 watchdog_margin_s: float = 30.0, probe_retry_s: float = 1.0,
                 probe_retry_max_s: float = 30.0, max_clients: int = 16,
                 idle_timeout_s: float = 60.0):
        self.terminal, self.journal = terminal, journal
        self.socket_path = Path(socket_path)
        self.max_amount_cents = max_amount_cents
        self.probe_interval_s = probe_interval_s
        self.socket_mode = socket_mode
        # A payment running this long past its own deadline is stuck: stop petting the watchdog.
        self.watchdog_margin_s = watchdog_margin_s
        # A failed probe is retried soon (doubling up to the cap), not probe_interval_s later: after
        # a restart the terminal may still be busy with the exchange that was cut short.
        self.probe_retry_s, self.probe_retry_max_s = probe_retry_s, probe_retry_max_s
        # Each client costs a thread and a descriptor: a few are plenty (screen, kioskctl).
        self.max_clients, self.idle_timeout_s = max_clients, idle_timeout_s
        self._client_slots = threading.BoundedSemaphore(max_clients)
        self.connected = False
        self.last_answer_at: str | None = None
        self.last_error: str | None = None
        self._lock = threading.Lock()  # guards _current
        self._terminal_lock = threading.Lock()  # one exchange on the line at a time
        self._current: Payment | None = None
        self._stop = threading.Event()
        self._server: socketserver.ThreadingUnixStreamServer | None = None
        self._threads: list[threading.Thread] = []

    # -- life ---------------------------------------------------------------------------------

    def start(self) -> BridgeService:
        settled, late = self.journal.recover(self.terminal.late_answer_window_s())
        for reference in settled:
            log.warning("payment %s was in flight when the bridge stopped: %s", reference,
                        self.journal.get(reference).outcome.status)  # type: ignore[union-attr]
        if late is not None:
            self._listen_for_late_answer(late)
        self.socket_path.parent.mkdir(parents=True, exist_ok=True)
        self._remove_socket()
        service = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                if not service._client_slots.acquire(blocking=False):
                    self.wfile.write((json.dumps(error(
                        "too_many_clients", f"the bridge serves at most {service.max_clients} "
                                            f"connections at once; try again")) + "\n").encode())
                    return
                try:
                    # An idle client is closed (its readline times out); a payment carries on.
                    self.request.settimeout(service.idle_timeout_s)
                    service._handle_connection(self.rfile, self.wfile)
                finally:
                    service._client_slots.release()

        server = socketserver.ThreadingUnixStreamServer(str(self.socket_path), Handler,
                                                        bind_and_activate=False)
        server.daemon_threads = True
        server.server_bind()
        os.chmod(self.socket_path, self.socket_mode)
        server.server_activate()
        self._server = server
        self._spawn(lambda: server.serve_forever(poll_interval=0.05), "bridge-socket")
        # READY before the first WATCHDOG: the background thread pings as soon as it runs.
        systemd_notify.ready(f"serving on {self.socket_path}")
        self._spawn(self._background, "bridge-probe")
        return self

    def _remove_socket(self) -> None:
        """Remove a stale socket; never anything else (a misconfigured path may be the journal)."""
        try:
            mode = os.lstat(self.socket_path).st_mode
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(mode):
            raise ServiceError(f"{self.socket_path} exists and is not a socket: refusing to "
                               f"remove it (check terminal.bridge_socket)")
        self.socket_path.unlink(missing_ok=True)

    def _spawn(self, target: Callable[[], object], name: str) -> None:
        t = threading.Thread(target=target, name=name, daemon=True)
        t.start()
        self._threads.append(t)

    def stop(self, drain_timeout_s: float = 10.0) -> None:
        """Stop accepting; let a payment in flight finish and be journaled first."""
        self._stop.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
        current = self._current
        if current:
            current.done.wait(drain_timeout_s)
        try:
            self._remove_socket()
        except ServiceError as e:
            log.error("%s", e)
        # A payment still on the line keeps the device (and the process) until it is journaled.
        if self._terminal_lock.acquire(timeout=1.0):
            try:
                self.terminal.close()
            finally:
                self._terminal_lock.release()

    # -- background: probe an idle terminal, pet the watchdog ------------------------------

    def _background(self) -> None:
        watchdog = systemd_notify.watchdog_interval_s()
        next_probe = time.monotonic()
        retry = self.probe_retry_s
        failing = False
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_probe:
                if self.probe():
                    if failing:
                        log.info("the terminal answers again")
                    failing, retry = False, self.probe_retry_s
                    next_probe = now + self.probe_interval_s
                else:
                    wait = min(retry, self.probe_interval_s)
                    log.warning("%s; next probe in %g s", self.last_error, wait)
                    failing, retry = True, min(retry * 2, self.probe_retry_max_s)
                    next_probe = now + wait
            if watchdog:
                stuck = self.stuck_payment()
                if stuck is None:
                    systemd_notify.watchdog()
                else:  # systemd restarts us; the journal keeps the reference in flight
                    log.error("payment %s has overrun its deadline: no watchdog ping", stuck)
            pause = next_probe - time.monotonic()
            self._stop.wait(max(min(pause, watchdog) if watchdog else pause, 0.01))

    def stuck_payment(self) -> str | None:
        """The reference of a payment running past its deadline plus the margin, if any."""
        current = self._current
        if current is None:
            return None
        limit = self.terminal.payment_deadline_s() + self.watchdog_margin_s
        return current.reference if time.monotonic() - current.started > limit else None

    def probe(self) -> bool:
        """Check the idle terminal is there (skipped while a payment runs)."""
        if not self._terminal_lock.acquire(blocking=False):
            return self.connected
        try:
            self.terminal.probe()
            self.connected, self.last_error = True, None
        except Exception as e:  # noqa: BLE001 - whatever the failure, the terminal is down
            self.connected, self.last_error = False, f"probe failed: {e}"
        finally:
            self._terminal_lock.release()
        return self.connected

    # -- connections ----------------------------------------------------------------------

    def _handle_connection(self, rfile: BufferedIOBase, wfile: BufferedIOBase) -> None:
        def send(doc: dict[str, Any]) -> bool:
            try:
                wfile.write((json.dumps(doc) + "\n").encode())
                wfile.flush()
                return True
            except OSError:
                return False  # the client went away; a payment carries on regardless

        while not self._stop.is_set():
            try:
                line = rfile.readline(socket_requests.MAX_LINE + 1)
            except OSError:
                return
            if len(line) > socket_requests.MAX_LINE:
                send(error("bad_request", f"request longer than {socket_requests.MAX_LINE} bytes"))
                return
            if not line.endswith(b"\n"):
                return  # closed, possibly mid-line: an incomplete request is never acted on
            if not line.strip():
                continue
            try:
                req = socket_requests.parse(line, max_amount_cents=self.max_amount_cents)
            except socket_requests.BadRequest as e:
                if not send(error("bad_request", str(e))):
                    return
                continue
            if req.op == "pay":
                ok = self._pay(req, send)
            else:
                ok = send(self.answer(req))
            if not ok:
                return

    def answer(self, req: socket_requests.Request) -> dict[str, Any]:
        """The one-line answer to cancel, result or status."""
        if req.op == "status":
            return {"ok": True, "connected": self.connected, "busy": self._current is not None,
                    "protocol": self.terminal.protocol, "device": self.terminal.device,
                    "last_answer_at": self.last_answer_at, "last_error": self.last_error}
        if req.op == "cancel":
            return self._cancel(req.reference)
        return self._result(req.reference)

    def _result(self, reference: str) -> dict[str, Any]:
        try:
            entry = self.journal.get(reference)
        except Exception as e:  # noqa: BLE001 - the journal file is broken: say so plainly
            return error("journal_unavailable", f"the bridge journal cannot be read: {e}")
        if entry is None:
            return {"ok": True, "event": "outcome", "reference": reference, "status": "not_found",
                    "amount_cents": None, "currency": None, "auth_code": None,
                    "card_suffix": None, "reason": "the bridge never received this reference"}
        if entry.in_flight or entry.outcome is None:
            return {"ok": True, "event": "outcome", "reference": reference,
                    "status": "in_progress", "amount_cents": entry.amount_cents,
                    "currency": entry.currency, "auth_code": None, "card_suffix": None,
                    "reason": None}
        return {"ok": True, **outcome_event(reference, entry.outcome)}

    def _cancel(self, reference: str) -> dict[str, Any]:
        with self._lock:
            current = self._current
            if current is None or current.reference != reference:
                return error("not_cancellable", "no payment with this reference is in progress")
            if not current.cancellable:
                return error("not_cancellable", "the request is already on the terminal; the "
                                                "customer can cancel it there")
            current.cancel.set()
        return {"ok": True, "cancel_requested": True}

    # -- paying ---------------------------------------------------------------------------

    def _pay(self, req: socket_requests.Request,
             send: Callable[[dict[str, Any]], bool]) -> bool:
        reference = req.reference
        refused = None
        with self._lock:
            current = self._current
            if current is None:
                refused = self._journal_new(req)
                if refused is None:
                    payment = Payment(reference, req.amount_cents, req.currency)
                    self._current = payment
                    self._spawn_payment(payment)
        if refused is not None:
            return send(refused)
        if current is not None:
            if current.reference != reference:
                return send(error("busy", "another payment is in progress"))
            if (current.amount_cents, current.currency) != (req.amount_cents, req.currency):
                # Never answer a 9 999-cent request with a 100-cent payment's outcome.
                return send(error("bad_request", f"reference {reference} is in progress for "
                                                 f"{current.amount_cents} {current.currency}, "
                                                 f"not {req.amount_cents} {req.currency}"))
            # A repeated pay while it runs: the same outcome, never a second exchange.
            current.done.wait()
            return send(outcome_event(reference, current.outcome))
        while True:
            kind, doc = payment.events.get()
            if kind == "done":
                break
            if not send(doc):
                return False
        return send(outcome_event(reference, payment.outcome))

    def _journal_new(self, req: socket_requests.Request) -> dict[str, Any] | None:
        """Record the request before any byte is sent. Returns the answer if it must not run."""
        try:
            entry = self.journal.get(req.reference)
            if entry is not None:
                if (entry.amount_cents, entry.currency) != (req.amount_cents, req.currency):
                    return error("bad_request", f"reference {req.reference} was already used for "
                                                f"{entry.amount_cents} {entry.currency}")
                return outcome_event(req.reference, entry.outcome or TerminalOutcome(
                    Status.UNKNOWN, entry.amount_cents, entry.currency,
                    reason="the bridge lost track of this payment"))
            self.journal.begin(req.reference, concert_v2.short_reference(req.reference),
                               req.amount_cents, req.currency, self.terminal.protocol)
        except DuplicateShortReference:
            return error("bad_request", f"reference {req.reference} shares its 10-character "
                                        f"terminal form with an earlier one; use a new uuid")
        except JournalError as e:
            self.last_error = str(e)
            return error("journal_unavailable", f"no payment taken: {e}")
        return None

    def _listen_for_late_answer(self, late: LateAnswer) -> None:
        """A payment an earlier process sent: the terminal may still offer its answer, so hold
        the line for it (before the first probe could talk over it). Meanwhile it is the
        payment in progress: ``result`` says in_progress, a repeated ``pay`` waits for it."""
        entry = late.entry
        log.warning("payment %s was in flight when the bridge stopped: listening for the "
                    "terminal's answer for %.1f s", entry.reference,
                    late.until_mono - time.monotonic())
        payment = Payment(entry.reference, entry.amount_cents, entry.currency)
        self._current = payment
        self._terminal_lock.acquire()

        def listen() -> None:
            try:
                outcome = self.terminal.late_answer(
                    reference=entry.reference, amount_cents=entry.amount_cents,
                    currency=entry.currency, until=late.until_mono)
            except Exception as e:  # noqa: BLE001 - a driver bug must not lose the payment
                log.exception("terminal driver failed")
                outcome = TerminalOutcome(Status.UNKNOWN, entry.amount_cents, entry.currency,
                                  reason=f"{CRASHED_REASON}; the bridge failed listening: {e}")
            finally:
                self._terminal_lock.release()
            log.info("payment %s: %s after the restart", entry.reference, outcome.status)
            self._settle(payment, outcome)

        t = threading.Thread(target=listen, name=f"late-{entry.reference[:8]}", daemon=False)
        t.start()

    def _spawn_payment(self, payment: Payment) -> None:
        t = threading.Thread(target=self._run_payment, args=(payment,),
                             name=f"pay-{payment.reference[:8]}", daemon=False)
        t.start()

    def _run_payment(self, payment: Payment) -> None:
        def progress(stage: str, cancellable: bool) -> None:
            payment.cancellable = cancellable
            payment.events.put(("progress", {"event": "progress", "reference": payment.reference,
                                             "stage": stage, "cancellable": cancellable}))

        try:
            with self._terminal_lock:
                outcome = self.terminal.pay(
                    reference=payment.reference, amount_cents=payment.amount_cents,
                    currency=payment.currency, on_progress=progress, cancel=payment.cancel,
                    # Journaled before the frame's first byte: after a crash the journal tells
                    # "never sent" (no money taken) from "sent" (listen for the answer).
                    on_sent=lambda: self.journal.mark_sent(payment.reference))
        except Exception as e:  # noqa: BLE001 - a driver bug must not lose the payment
            log.exception("terminal driver failed")
            outcome = TerminalOutcome(Status.UNKNOWN, payment.amount_cents, payment.currency,
                              reason=f"the bridge failed during the payment: {e}")
        self._settle(payment, outcome)

    def _settle(self, payment: Payment, outcome: TerminalOutcome) -> None:
        """Journal the outcome, then hand it to whoever waits for it."""
        self._note_health(outcome)
        try:
            self.journal.finish(payment.reference, outcome)
        except JournalError as e:
            # The outcome still goes to the caller; a restart will report this one as unknown.
            self.last_error = str(e)
            log.error("cannot journal the outcome of %s: %s", payment.reference, e)
        with self._lock:
            payment.outcome = outcome
            payment.cancellable = False
            self._current = None
            payment.done.set()
            payment.events.put(("done", None))

    def _note_health(self, outcome: TerminalOutcome) -> None:
        if outcome.status in _ANSWERED:
            self.connected, self.last_error = True, None
            self.last_answer_at = utc_now()
        elif outcome.status in (Status.LINK_ERROR, Status.TIMEOUT, Status.UNKNOWN):
            self.connected = outcome.status == Status.UNKNOWN and self.connected
            self.last_error = outcome.reason


def serve_forever(service: BridgeService) -> None:
    """Run until SIGTERM / SIGINT, then stop cleanly."""
    import signal

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    service.start()
    while not stopping.wait(1.0):
        pass
    service.stop()
