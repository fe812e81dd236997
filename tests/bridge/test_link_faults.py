"""The link layer and the PaymentTerminal driver against the simulator on a real pty, one test
per simulator fault, for both protocol versions; plus hypothesis on arbitrary line bytes."""

from __future__ import annotations

import os
import select
import threading
import time
import tty
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firmware_bridge import concert_v2 as v2
from firmware_bridge import concert_v3 as v3
from firmware_bridge.link import Link, LinkError
from firmware_bridge.outcome import Status
from firmware_bridge.protocol import ACK, ENQ, EOT, ETX, NAK, STX, frame, lrc
from firmware_bridge.simulator import TcpV3Simulator
from firmware_bridge.terminal import SerialTerminal, TcpV3Terminal
from firmware_bridge.transport import SerialTransport, TransportError, is_pseudo_terminal
from tests.helpers.bridge_fixtures import BYTE_TIMEOUT, serial_terminal

BOTH = ["concert-v2", "concert-v3"]


def ref() -> str:
    return str(uuid.uuid4())


def pay(terminal, amount=1250, reference=None):
    return terminal.pay(reference=reference or ref(), amount_cents=amount, currency="EUR")


@pytest.mark.parametrize("protocol", BOTH)
@pytest.mark.parametrize("script, status", [
    ("approve", Status.APPROVED), ("decline", Status.DECLINED),
    ("approve+nak_first_frame", Status.APPROVED), ("approve+corrupt_lrc", Status.APPROVED),
    ("approve+stray_byte", Status.APPROVED), ("approve+no_eot", Status.APPROVED),
    ("approve+split", Status.APPROVED),
    ("approve+nak_first_frame+corrupt_lrc+stray_byte+no_eot+split", Status.APPROVED),
])
def test_outcome_through_each_recoverable_fault(make_sim, protocol, script, status):
    sim = make_sim(script, protocol)
    terminal = serial_terminal(sim)
    reference = ref()
    outcome = pay(terminal, reference=reference)
    assert outcome.status == status, outcome
    assert outcome.amount_cents == 1250 and outcome.currency == "EUR"
    approved = [a.reference for a in sim.record.approvals]
    expected = v2.short_reference(reference) if protocol == "concert-v2" else reference
    assert approved == ([expected] if status == Status.APPROVED else [])
    if status == Status.APPROVED:
        assert outcome.card_suffix == "4242"
        assert (outcome.auth_code is not None) == (protocol == "concert-v3")
    # a NAKed first frame was resent once; otherwise exactly one request went out
    assert len(sim.requests_seen) == 1
    terminal.close()


@pytest.mark.parametrize("protocol", BOTH)
def test_silence_is_a_timeout_and_nothing_was_sent(make_sim, protocol):
    sim = make_sim("approve+silence", protocol)
    terminal = serial_terminal(sim)
    outcome = pay(terminal)
    assert outcome.status == Status.TIMEOUT and "did not answer ENQ" in outcome.reason
    assert sim.requests_seen == [] and sim.record.approvals == []


@pytest.mark.parametrize("protocol", BOTH)
def test_approved_then_answer_lost_is_unknown(make_sim, protocol):
    sim = make_sim("approve+lose_answer", protocol)
    outcome = pay(serial_terminal(sim))
    assert outcome.status == Status.UNKNOWN and "lost" in outcome.reason
    assert len(sim.record.approvals) == 1  # the acquirer took the money: reconcile, not retry


@pytest.mark.parametrize("protocol", BOTH)
def test_device_recreated_mid_transaction_is_unknown_then_reopened(make_sim, protocol):
    sim = make_sim("approve+recreate,approve", protocol)
    terminal = serial_terminal(sim)
    first = pay(terminal)
    assert first.status == Status.UNKNOWN
    deadline = time.monotonic() + 2
    while sim.recreations == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sim.recreations == 1 and os.path.realpath(sim.link_path) == sim.device_path
    second = pay(terminal)
    assert second.status == Status.APPROVED
    assert len(sim.record.approvals) == 2


def test_answer_for_another_reference_is_unknown_not_approved(make_sim):
    for protocol in BOTH:
        sim = make_sim("approve+wrong_reference", protocol)
        outcome = pay(serial_terminal(sim))
        assert outcome.status == Status.UNKNOWN, outcome
        # the reason names the reference the terminal answered for
        wrong = "XXXXXXXXXX" if protocol == "concert-v2" else "WRONG-REFERENCE"
        assert wrong in outcome.reason, outcome


@pytest.mark.parametrize("result, status", [
    ("cancel", Status.CANCELLED), ("input_timeout", Status.TIMEOUT),
    ("not_verified", Status.DECLINED), ("decline", Status.DECLINED),
])
def test_v3_reasons_map_to_outcomes(make_sim, result, status):
    outcome = pay(serial_terminal(make_sim(result, "concert-v3")))
    assert outcome.status == status and outcome.reason


CONTROL_BYTES = (ENQ, EOT, ETX, STX, ACK, NAK)
CARDS = ("497010XXXXXX4242", "497010000004242")


def test_v2_request_and_answer_whose_lrc_equal_control_bytes(make_sim):
    def request_lrc(reference: str, amount: int, card: str) -> int:
        body = v2.encode_request(v2.Request(amount, "978", v2.short_reference(reference)))
        return lrc(body + bytes([ETX]))

    def answer_lrc(reference: str, amount: int, card: str) -> int:
        body = v2.encode_answer(v2.Answer("01", "0", amount, "1", "978",
                                          v2.short_reference(reference), card))
        return lrc(body + bytes([ETX]))

    # A (reference, amount, card) whose request frame, then whose answer frame, ends in each
    # control byte: the reader must take the LRC by position, never as ENQ/EOT/ETX/….
    references = [str(uuid.uuid5(uuid.NAMESPACE_URL, str(k))) for k in range(1, 300)]
    # (A full-answer request's LRC is always below 0x10 by parity, so NAK cannot occur there.)
    wanted = [(request_lrc, b) for b in CONTROL_BYTES if b != NAK] + [
        (answer_lrc, b) for b in CONTROL_BYTES]
    cases = [next((r, a, c) for c in CARDS for r in references for a in range(1, 100)
                  if f(r, a, c) == target) for f, target in wanted]
    sim = make_sim()
    terminal = serial_terminal(sim)
    for reference, amount, card in cases:
        sim.terminal.card = card
        outcome = terminal.pay(reference=reference, amount_cents=amount, currency="EUR")
        assert outcome.status == Status.APPROVED, (reference, amount, outcome)
        assert outcome.card_suffix == "4242"
    assert [frame(r)[-1] for r in sim.requests_seen[:5]] == [ENQ, EOT, ETX, STX, ACK]
    assert [(a.reference, a.amount_cents) for a in sim.record.approvals] == [
        (v2.short_reference(r), a) for r, a, _ in cases]


def test_device_absent_is_a_link_error_with_nothing_sent(short_dir):
    path = str(short_dir / "missing")
    terminal = SerialTerminal(lambda: SerialTransport(path), device=path, reopen_timeout=0.1)
    outcome = pay(terminal)
    assert outcome.status == Status.LINK_ERROR and "cannot open" in outcome.reason
    with pytest.raises(TransportError):
        terminal.probe()


def test_cancel_before_the_request_is_sent(make_sim):
    import threading

    sim = make_sim()
    cancel = threading.Event()
    cancel.set()
    outcome = serial_terminal(sim).pay(reference=ref(), amount_cents=500, currency="EUR",
                                        cancel=cancel)
    assert outcome.status == Status.CANCELLED and sim.requests_seen == []


def test_probe_counts_on_the_simulator(make_sim):
    sim = make_sim()
    terminal = serial_terminal(sim)
    terminal.probe()
    terminal.probe()
    pay(terminal)
    assert sim.probes == 2 and len(sim.requests_seen) == 1


def test_bad_amount_or_currency_never_reaches_the_line(make_sim):
    sim = make_sim()
    terminal = serial_terminal(sim)
    for amount, currency in ((0, "EUR"), (-1, "EUR"), (100_000_000, "EUR"), (5.5, "EUR"),
                             (500, "JPY")):
        with pytest.raises(ValueError):
            terminal.pay(reference=ref(), amount_cents=amount, currency=currency)
    assert sim.requests_seen == [] and sim.probes == 0


# -- V3 over TCP (Caisse-AP IP) ----------------------------------------------------------


@pytest.fixture
def tcp_sim():
    sims = []

    def make(script: str = ""):
        from firmware_bridge.script import parse_script
        from firmware_bridge.simulator import Script

        sim = TcpV3Simulator(script=Script(parse_script(script)), byte_timeout=0.3).start()
        sims.append(sim)
        return sim

    yield make
    for sim in sims:
        sim.stop()


@pytest.mark.parametrize("script, status", [
    ("approve", Status.APPROVED), ("approve+split", Status.APPROVED),
    ("decline", Status.DECLINED), ("cancel", Status.CANCELLED),
    ("approve+lose_answer", Status.UNKNOWN), ("approve+wrong_reference", Status.UNKNOWN),
])
def test_v3_over_tcp(tcp_sim, script, status):
    sim = tcp_sim(script)
    terminal = TcpV3Terminal("127.0.0.1", sim.port, byte_timeout=0.3, card_wait_timeout=0.5)
    terminal.probe()
    reference = ref()
    outcome = terminal.pay(reference=reference, amount_cents=2000, currency="EUR")
    assert outcome.status == status, outcome
    assert v3.decode_request(sim.requests_seen[0]).reference == reference
    if status == Status.APPROVED:
        assert outcome.auth_code == "A00001" and outcome.card_suffix == "4242"


def test_v3_over_tcp_nobody_listening_is_a_link_error(tcp_sim):
    sim = tcp_sim()
    port = sim.port
    sim.stop()
    outcome = TcpV3Terminal("127.0.0.1", port, byte_timeout=0.3).pay(
        reference=ref(), amount_cents=100, currency="EUR")
    assert outcome.status == Status.LINK_ERROR


# -- arbitrary bytes on the line ------------------------------------------------------------


@pytest.fixture(scope="module")
def raw_pty():
    master, slave = os.openpty()
    tty.setraw(slave)
    transport = SerialTransport(os.ttyname(slave))
    yield master, transport
    transport.close()
    os.close(master)
    os.close(slave)


@given(st.binary(max_size=120))
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_receive_raises_only_link_errors_on_arbitrary_bytes(raw_pty, noise):
    master, transport = raw_pty
    link = Link(transport, byte_timeout=0.01, eot_timeout=0.0)
    link.discard_input()
    os.write(master, noise)
    try:
        body = link.receive(0.01)
    except LinkError:
        pass
    else:
        # Only a frame with a correct LRC, after an ENQ, is ever accepted.
        assert ENQ in noise and frame(body) in noise
    _drain(master)


@given(st.sampled_from([ACK, NAK, EOT, ENQ, 0x00, 0x7F]), st.integers(0, 3))
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_send_never_completes_without_an_ack(raw_pty, reply, naks):
    """The terminal ACKs ENQ, NAKs the frame ``naks`` times, then sends ``reply``."""
    master, transport = raw_pty
    body = b"01000005000109780000000042A010B010"
    replies = [NAK] * naks + [reply]

    def terminal() -> None:
        seen = bytearray()
        while replies:
            if not select.select([master], [], [], 0.5)[0]:
                return
            seen += os.read(master, 4096)
            if seen[:1] == bytes([ENQ]):
                os.write(master, bytes([ACK]))
                del seen[:1]
            while len(seen) >= len(body) + 3 and replies:
                del seen[:len(body) + 3]
                os.write(master, bytes([replies.pop(0)]))

    responder = threading.Thread(target=terminal)
    responder.start()
    link = Link(transport, byte_timeout=0.05)
    try:
        link.send(body)
    except LinkError as e:
        assert reply != ACK or naks >= 3
        # three NAKs: the terminal refused the request; silence after the frame went out:
        # the terminal may have it (money may be at stake)
        refused = naks + (reply == NAK) >= 3
        assert e.maybe_accepted == (not refused)
    else:
        assert reply == ACK and naks < 3
    responder.join()
    _drain(master)


def _drain(master: int) -> None:
    while select.select([master], [], [], 0)[0]:
        os.read(master, 4096)


def test_device_whose_setup_fails_is_a_link_error_and_is_opened_again(make_sim, monkeypatch):
    """A pty accepts every setting, so the failing tcsetattr is the one thing mocked here: the
    kernel's EINVAL for a device that refuses the line settings."""
    import errno
    import termios

    sim = make_sim("approve")
    terminal = serial_terminal(sim, reopen_timeout=0.3)
    real_tcsetattr = termios.tcsetattr

    def refuse(*_args):
        raise termios.error(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(termios, "tcsetattr", refuse)
    outcome = pay(terminal)
    assert outcome.status == Status.LINK_ERROR, outcome  # nothing sent: no money at stake
    assert "Invalid argument" in outcome.reason
    with pytest.raises(TransportError):
        terminal.probe()
    assert sim.requests_seen == [] and sim.probes == 0

    monkeypatch.setattr(termios, "tcsetattr", real_tcsetattr)  # the device settles
    terminal.probe()
    assert pay(terminal).status == Status.APPROVED
    assert len(sim.requests_seen) == 1


# -- a babbling line: the exchange ends by its deadline ---------------------------------------


@pytest.mark.parametrize("protocol", BOTH)
def test_endless_answer_on_the_serial_line_ends_unknown_by_the_deadline(make_sim, protocol):
    sim = make_sim("approve+endless_answer", protocol)
    terminal = serial_terminal(sim)
    started = time.monotonic()
    outcome = pay(terminal)
    elapsed = time.monotonic() - started
    # The request went out, the answer never ended: money may be at stake.
    assert outcome.status == Status.UNKNOWN, outcome
    assert "did not end within" in outcome.reason
    assert elapsed <= terminal.payment_deadline_s() + 2.0  # generous: a loaded machine
    assert len(sim.requests_seen) == 1


def test_trickling_tcp_answer_ends_unknown_by_the_deadline(tcp_sim):
    sim = tcp_sim("approve+endless_answer")
    terminal = TcpV3Terminal("127.0.0.1", sim.port, byte_timeout=0.3, card_wait_timeout=0.5)
    started = time.monotonic()
    outcome = terminal.pay(reference=ref(), amount_cents=2000, currency="EUR")
    elapsed = time.monotonic() - started
    assert outcome.status == Status.UNKNOWN, outcome
    assert "did not end within" in outcome.reason
    assert elapsed <= terminal.payment_deadline_s() + 2.0


# -- the simulator's pty, opened again by a restarted bridge ----------------------------------


def test_the_simulator_pty_opens_again_at_7e1_after_a_close(make_sim):
    """A restarted bridge opens the device again with the production framing (7 bits, even
    parity). On a pty the kernel drops CS7/PARENB and glibc then fails the second tcsetattr
    with EINVAL; the transport must still open it every time."""
    sim = make_sim()
    path = str(sim.link_path)
    for _ in range(3):
        transport = SerialTransport(path, bytesize=7, parity="E", stopbits=1)
        try:
            Link(transport, byte_timeout=BYTE_TIMEOUT).probe()
        finally:
            transport.close()
    deadline = time.monotonic() + 5  # the simulator counts a probe when it reads its EOT
    while sim.probes < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sim.probes == 3
    assert is_pseudo_terminal(path) and not is_pseudo_terminal(__file__)


def test_an_unplugged_simulator_leaves_no_device_to_open(make_sim):
    """A stopped simulator is an unplugged terminal: its device link goes with its pty. Left
    behind, the link named a freed pseudo-terminal that the next program opening one (another
    test's simulator) was given, and a bridge opened that terminal instead of finding none."""
    sim = make_sim()
    link = sim.link_path
    sim.stop()
    reused = os.openpty()  # the kernel hands out the lowest free one: likely the freed one
    try:
        assert not os.path.lexists(link)
        with pytest.raises(TransportError, match="cannot open"):
            SerialTransport(str(link))
    finally:
        for fd in reused:
            os.close(fd)
