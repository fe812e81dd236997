"""kiosk.payment.client against the real bridge service on a real Unix socket, terminal simulator
on a real pty."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk.payment.client import (
    BridgeClient,
    BridgeError,
    BridgeOutcome,
    BridgeProtocolError,
    BridgeStatus,
    BridgeUnavailable,
)
from kiosk.payment.outcomes import BRIDGE_OUTCOMES


def ref() -> str:
    return str(uuid.uuid4())


def paying(bridge: Any, reference: str, amount_cents: int = 700) -> threading.Thread:
    """A payment under way on its own thread (join it once done with it)."""
    worker = threading.Thread(target=bridge.client.pay, args=(reference, amount_cents, "EUR"))
    worker.start()
    return worker


def wait_until(condition: Callable[[], object], timeout_s: float = 3) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.01)


def test_pay_reports_progress_then_outcome(make_bridge):
    bridge = make_bridge("approve")
    events = []
    reference = ref()
    outcome = bridge.client.pay(reference, 1250, "EUR", on_progress=events.append)
    assert outcome.status == "approved"
    assert outcome.reference == reference
    assert outcome.amount_cents == 1250 and outcome.currency == "EUR"
    assert outcome.card_suffix == "4242"
    assert [e["stage"] for e in events] == ["connecting", "sending", "waiting_card", "receiving"]
    assert events[0]["cancellable"] is True and events[1]["cancellable"] is False
    assert BRIDGE_OUTCOMES[outcome.status].ledger_state == "approved"


def test_repeated_pay_answers_the_recorded_outcome_without_reaching_the_terminal(make_bridge):
    bridge = make_bridge("decline,approve")
    reference = ref()
    first = bridge.client.pay(reference, 500, "EUR")
    second = bridge.client.pay(reference, 500, "EUR")
    assert first.status == second.status == "declined"
    assert len(bridge.sim.requests_seen) == 1
    assert bridge.sim.record.approvals == []


@pytest.mark.parametrize("amount, currency", [(9999, "EUR"), (100, "CHF")])
def test_repeated_pay_while_running_with_another_amount_is_refused(make_bridge, amount,
                                                                   currency):
    bridge = make_bridge("approve:0.5")
    reference = ref()
    first: list[BridgeOutcome] = []
    payer = threading.Thread(target=lambda: first.append(bridge.client.pay(reference, 100,
                                                                           "EUR")))
    payer.start()
    wait_until(lambda: bridge.client.result(reference).status == "in_progress")
    with pytest.raises(BridgeError) as err:
        bridge.client.pay(reference, amount, currency)
    assert err.value.code == "bad_request"
    assert "100 EUR" in str(err.value) and f"{amount} {currency}" in str(err.value)
    payer.join()
    assert first[0].status == "approved" and first[0].amount_cents == 100
    assert len(bridge.sim.requests_seen) == 1


def test_result_in_progress_then_final_and_not_found(make_bridge):
    bridge = make_bridge("approve:0.6")
    reference = ref()
    worker = paying(bridge, reference)
    wait_until(lambda: bridge.client.result(reference).status != "not_found")
    assert bridge.client.result(reference).status == "in_progress"
    assert bridge.client.status().busy is True
    worker.join()
    assert bridge.client.result(reference).status == "approved"
    assert bridge.client.result(ref()).status == "not_found"


def test_second_payment_while_busy_is_refused(make_bridge):
    bridge = make_bridge("approve:0.5")
    worker = paying(bridge, ref())
    wait_until(lambda: bridge.client.status().busy)
    with pytest.raises(BridgeError) as err:
        bridge.client.pay(ref(), 300, "EUR")
    assert err.value.code == "busy"
    worker.join()
    assert len(bridge.sim.requests_seen) == 1


def test_cancel_once_on_the_terminal_is_not_possible(make_bridge):
    bridge = make_bridge("approve:0.5")
    reference = ref()
    worker = paying(bridge, reference)
    wait_until(lambda: bridge.client.result(reference).status == "in_progress")
    time.sleep(0.1)
    with pytest.raises(BridgeError) as err:
        bridge.client.cancel(reference)
    assert err.value.code == "not_cancellable"
    worker.join()
    with pytest.raises(BridgeError):
        bridge.client.cancel(ref())


@pytest.mark.parametrize("amount, currency, why", [
    (-5, "EUR", "positive"), (0, "EUR", "positive"), (15001, "EUR", "over the limit"),
    (10.5, "EUR", "whole number"), (500, "XYZ", "currency"), (True, "EUR", "whole number"),
])
def test_bad_requests_never_reach_the_terminal(make_bridge, amount, currency, why):
    bridge = make_bridge()
    with pytest.raises(BridgeError) as err:
        bridge.client.pay(ref(), amount, currency)
    assert err.value.code == "bad_request" and why in str(err.value)
    assert bridge.sim.requests_seen == []


def test_bad_json_gets_a_clear_error_and_the_connection_stays_usable(make_bridge):
    bridge = make_bridge()
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(bridge.service.socket_path))
        s.sendall(b'{"op": "pay", "reference": \n{"op": "status"}\n')
        reader = s.makefile("rb")
        first, second = reader.readline(), reader.readline()
    assert b'"bad_request"' in first and b"not valid JSON" in first
    assert b'"connected"' in second


def test_deeply_nested_json_is_answered_bad_request_on_the_socket(make_bridge):
    bridge = make_bridge()
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(5)
        s.connect(str(bridge.service.socket_path))
        s.sendall(b"[" * 60000 + b'\n{"op": "status"}\n')
        reader = s.makefile("rb")
        first, second = reader.readline(), reader.readline()
    assert b'"bad_request"' in first and b"nested too deeply" in first
    assert b'"connected"' in second  # the connection is still served


def test_absent_socket_raises_bridge_unavailable(short_dir: Path):
    client = BridgeClient(short_dir / "nothing.sock")
    with pytest.raises(BridgeUnavailable, match="not running"):
        client.status()
    with pytest.raises(BridgeUnavailable):
        client.pay(ref(), 500, "EUR")


def test_connection_dropped_mid_payment_raises_and_the_result_is_kept(make_bridge):
    bridge = make_bridge("approve:0.4")
    reference = ref()
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(bridge.service.socket_path))
        s.sendall(f'{{"op":"pay","reference":"{reference}","amount_cents":900,'
                  f'"currency":"EUR"}}\n'.encode())
        s.recv(100)  # the first progress line: the payment started
    wait_until(lambda: bridge.client.result(reference).status != "in_progress")
    assert bridge.client.result(reference).status == "approved"
    assert len(bridge.sim.record.approvals) == 1


def test_garbage_from_the_socket_is_a_protocol_error(short_dir: Path):
    path = short_dir / "fake.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen()

    def answer() -> None:
        conn, _ = server.accept()
        conn.recv(1000)
        conn.sendall(b"this is not json\n")
        conn.close()

    threading.Thread(target=answer, daemon=True).start()
    with pytest.raises(BridgeProtocolError):
        BridgeClient(path, timeout_s=2).status()
    server.close()


def test_silent_bridge_times_out_as_unavailable(short_dir: Path):
    path = short_dir / "mute.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen()
    with pytest.raises(BridgeUnavailable, match="in time"):
        BridgeClient(path, timeout_s=0.2).status()
    server.close()


def test_arbitrary_lines_never_break_the_service(make_bridge):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    bridge = make_bridge()

    @given(st.lists(st.binary(max_size=200).filter(lambda b: b"\n" not in b), max_size=5))
    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    def check(lines):
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(str(bridge.service.socket_path))
            s.sendall(b"".join(line + b"\n" for line in lines) + b'{"op":"status"}\n')
            reader = s.makefile("rb")
            answers = [reader.readline() for _ in range(sum(1 for x in lines if x.strip()) + 1)]
        assert all(a.endswith(b"\n") for a in answers)
        assert b'"connected"' in answers[-1]

    check()
    assert bridge.sim.requests_seen == []


def test_clients_over_the_cap_are_refused_and_idle_ones_closed(make_sim, short_dir):
    import json

    from firmware_bridge.journal import Journal
    from firmware_bridge.service import BridgeService
    from tests.helpers.bridge_fixtures import serial_terminal

    path = short_dir / "c.sock"
    service = BridgeService(serial_terminal(make_sim()), Journal(short_dir / "j.db"), path,
                            probe_interval_s=60, max_clients=3, idle_timeout_s=0.5).start()
    idle = []
    for _ in range(3):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5)
        s.connect(str(path))
        s.sendall(b'{"op": "status"}\n')  # answered: this client holds a slot, then idles
        assert b'"connected"' in s.makefile("rb").readline()
        idle.append(s)
    with socket.socket(socket.AF_UNIX) as extra:
        extra.settimeout(5)
        extra.connect(str(path))
        answer = json.loads(extra.makefile("rb").readline())
        assert answer["ok"] is False and answer["error"]["code"] == "too_many_clients"
        assert extra.recv(10) == b""  # then closed
    for s in idle:  # idle past the timeout: closed by the bridge
        assert s.recv(10) == b""
        s.close()
    # Slots are free again: a status answer (parse_status requires its "ok": true).
    assert isinstance(BridgeClient(path, timeout_s=5).status(), BridgeStatus)
    service.stop()
