"""The screen's payment runner through kiosk.payment.port, the real bridge service and the
terminal simulator on a pty: the whole donation path without a screen."""

from __future__ import annotations

import socket
import time
import uuid

import pytest

from firmware_bridge.script import parse_step
from kiosk.core.config import load
from kiosk.payment.client import BridgeClient, BridgeStatus
from kiosk.payment.port import BridgePort, from_config
from kiosk.payment.runner import RequestNotSent, run_donation
from tests.conftest import write_config


def donate(ledger, port, amount=500):
    started, stages = [], []
    result = run_donation(ledger, port, "proj-1", amount, "EUR", on_started=started.append,
                          on_progress=lambda stage, cancellable: stages.append(
                              (stage, cancellable)), result_wait_s=1, poll_s=0.05)
    return result, started, stages


@pytest.mark.parametrize("script, state", [("approve", "approved"), ("decline", "declined"),
                                           ("approve+lose_answer", "unknown"),
                                           ("approve+silence", "failed")])
def test_run_donation_through_the_real_bridge(make_bridge, ledger, script, state):
    bridge = make_bridge()
    deadline = time.monotonic() + 3
    while bridge.sim.probes == 0:  # the start-up probe must not consume the scripted step
        assert time.monotonic() < deadline
        time.sleep(0.01)
    bridge.sim.script.push(parse_step(script))
    result, started, stages = donate(ledger, BridgePort(bridge.client))
    donation = ledger.get(started[0])
    assert donation.state == state
    assert stages[0] == ("connecting", True)
    assert bridge.client.result(donation.id).status != "not_found"
    if state == "approved":
        assert donation.card_suffix == "4242"
        assert [a.amount_cents for a in bridge.sim.record.approvals] == [500]


def test_no_bridge_means_request_not_sent(short_dir, ledger):
    port = BridgePort(BridgeClient(short_dir / "none.sock"))
    with pytest.raises(RequestNotSent):
        port.pay(str(uuid.uuid4()), 500, "EUR", lambda *_: None)
    result, started, _ = donate(ledger, port)
    assert ledger.get(started[0]).state == "failed"


def test_refused_request_is_not_sent_and_cancel_says_false(make_bridge):
    bridge = make_bridge()
    port = BridgePort(bridge.client)
    with pytest.raises(RequestNotSent, match="bad_request"):
        port.pay(str(uuid.uuid4()), 10**6, "EUR", lambda *_: None)
    assert port.cancel(str(uuid.uuid4())) is False
    assert isinstance(port.status(), BridgeStatus)  # answered: parse_status requires ok


def test_incomplete_line_is_never_acted_on(make_bridge):
    bridge = make_bridge()
    reference = str(uuid.uuid4())
    with socket.socket(socket.AF_UNIX) as s:  # a client that dies before its newline
        s.connect(str(bridge.service.socket_path))
        s.sendall(f'{{"op":"pay","reference":"{reference}","amount_cents":500,'
                  f'"currency":"EUR"}}'.encode())
    assert bridge.client.result(reference).status == "not_found"
    assert bridge.sim.requests_seen == []


def test_from_config_waits_longer_than_the_card_wait(tmp_path):
    cfg = load(write_config(tmp_path, terminal={"card_wait_timeout_s": 120}))
    port = from_config(cfg)
    assert port.client.pay_timeout_s > 120
    assert port.client.socket_path == cfg.terminal.bridge_socket
