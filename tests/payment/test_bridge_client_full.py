"""The bridge at its client cap: ``too_many_clients`` means "try again, nothing was sent".

The real bridge service (its cap lowered to 2 with ``max_clients``) and the terminal simulator
on a real pty; other clients are real connections that hold the slots. A pay refused this way
must surface as a request not sent (a failed donation, nothing charged), never as an unknown
that may have been charged.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from firmware_bridge.journal import Journal
from firmware_bridge.service import BridgeService
from firmware_bridge.simulator import AcquirerRecord, PtySimulator, Script
from firmware_bridge.terminal import SerialTerminal
from firmware_bridge.transport import SerialTransport
from kiosk.core.ledger import Ledger
from kiosk.payment.client import BridgeClient, BridgeFull, BridgeNotReached
from kiosk.payment.port import BridgePort
from kiosk.payment.runner import RequestNotSent, run_donation
from kiosk.screen.donation_flow import FlowOutcome

CAP = 2


@dataclass
class FullBridge:
    sim: PtySimulator
    service: BridgeService
    socket_path: Path
    holders: list[socket.socket]

    def hold_every_slot(self) -> None:
        """Fill the cap with live clients; each has had an answer, so it holds its slot."""
        deadline = time.monotonic() + 10
        while len(self.holders) < CAP:
            # Slots freed by a release come back once the bridge has seen those clients go:
            # until then a new holder is refused like any client over the cap.
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(5)
            s.connect(str(self.socket_path))
            try:
                s.sendall(b'{"op": "status"}\n')
                answer = json.loads(s.makefile("rb").readline())
            except (BrokenPipeError, ConnectionResetError, json.JSONDecodeError):
                answer = {"ok": False}
            if answer["ok"] is True:
                self.holders.append(s)
                continue
            s.close()
            assert time.monotonic() < deadline, f"the bridge never freed its slots: {answer}"
            time.sleep(0.05)

    def release(self) -> None:
        while self.holders:
            self.holders.pop().close()


@pytest.fixture
def bridge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FullBridge]:
    # mktemp's path is short enough for a Unix socket (108 bytes); tmp_path may not be.
    directory = tmp_path_factory.mktemp("full")
    sim = PtySimulator(directory / "term", script=Script(),
                       record=AcquirerRecord(directory / "acquirer.jsonl"),
                       byte_timeout=1.0).start()
    link = str(sim.link_path)
    terminal = SerialTerminal(lambda: SerialTransport(link), device=link, byte_timeout=1.0,
                              card_wait_timeout=5.0, eot_timeout=0.05, reopen_timeout=1.0)
    service = BridgeService(terminal, Journal(directory / "journal.db"), directory / "b.sock",
                            max_amount_cents=15000, probe_interval_s=60,
                            max_clients=CAP).start()
    full = FullBridge(sim, service, directory / "b.sock", [])
    yield full
    full.release()
    service.stop(drain_timeout_s=5)
    sim.stop()


def test_a_full_bridge_refuses_before_reading_so_pay_is_request_not_sent(bridge: FullBridge,
                                                                        ledger: Ledger) -> None:
    bridge.hold_every_slot()
    client = BridgeClient(bridge.socket_path, timeout_s=2, full_retry_s=0.3)
    with pytest.raises(BridgeFull) as refused:
        client.pay("not-sent-1", 500, "EUR")
    assert isinstance(refused.value, BridgeNotReached) and "too_many_clients" in str(refused.value)
    with pytest.raises(RequestNotSent, match="too_many_clients"):
        BridgePort(client).pay("not-sent-2", 500, "EUR", lambda *_: None)
    with pytest.raises(BridgeFull):
        client.status()

    # The whole attempt: a failed donation saying why, never an unknown left pending.
    result = run_donation(ledger, BridgePort(client), "proj-1", 500, "EUR",
                          on_started=lambda _r: None, on_progress=lambda *_: None,
                          result_wait_s=1, poll_s=0.05)
    row = ledger.get(result.donation_id)
    assert result.outcome is FlowOutcome.TERMINAL_ERROR
    assert row.state == "failed" and "too_many_clients" in row.reason

    bridge.release()
    for reference in ("not-sent-1", "not-sent-2", row.id):
        assert client.result(reference).status == "not_found"  # never journaled
    assert bridge.sim.requests_seen == [] and bridge.sim.record.approvals == []


def test_pay_result_and_status_go_through_once_a_slot_frees(bridge: FullBridge) -> None:
    bridge.hold_every_slot()
    threading.Timer(0.4, bridge.release).start()
    client = BridgeClient(bridge.socket_path, timeout_s=2, pay_timeout_s=10, full_retry_s=10)
    started = time.monotonic()
    outcome = client.pay("retried-1", 700, "EUR")
    assert time.monotonic() - started >= 0.4  # it did wait for the slot
    assert outcome.status == "approved"
    assert [(a.amount_cents, a.currency) for a in bridge.sim.record.approvals] == [(700, "EUR")]
    assert len(bridge.sim.requests_seen) == 1  # sent once, retries included

    bridge.hold_every_slot()
    threading.Timer(0.4, bridge.release).start()
    assert client.result("retried-1").status == "approved"
    bridge.hold_every_slot()
    threading.Timer(0.4, bridge.release).start()
    assert client.status().connected is True
